import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth';
import { usePlayer } from '../player/PlayerContext';
import { PlayerBar } from './PlayerBar';
import styles from './Layout.module.css';

export function Layout() {
  const { me, userId, signOut } = useAuth();
  const player = usePlayer();
  const navigate = useNavigate();
  const links = [
    { to: '/', label: 'Home', end: true },
    { to: '/dj', label: 'DJ', end: false },
    { to: '/profile', label: 'Profile', end: false },
    { to: '/wrapped', label: 'Wrapped', end: false },
  ];
  return (
    <div className={styles.shell}>
      <a href="#main" className={styles.skip}>
        Skip to content
      </a>
      <header className={styles.header}>
        <span className={styles.brand}>
          <span aria-hidden="true" className={styles.logo}>
            T
          </span>
          Tastemaker
        </span>
        <nav aria-label="Main" className={styles.nav}>
          <ul>
            {links.map((link) => (
              <li key={link.to}>
                <NavLink to={link.to} end={link.end} className={({ isActive }) => (isActive ? styles.activeLink : styles.link)}>
                  {link.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className={styles.user}>
          <span data-testid="signed-in-user" className={styles.userName}>
            {me?.admin ? `${me.name} (admin) · ${userId ?? 'no listener'}` : (me?.name ?? '')}
          </span>
          <button
            type="button"
            className={styles.signOut}
            onClick={() => {
              player.stop();
              signOut();
              navigate('/login');
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} className={styles.main}>
        <Outlet />
      </main>
      <PlayerBar />
    </div>
  );
}
