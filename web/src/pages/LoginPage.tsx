import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { seg } from '../api/client';
import type { DemoInfo } from '../api/types';
import { useAuth } from '../auth';
import { describeFailure } from '../lib/useResource';
import styles from './LoginPage.module.css';

export function LoginPage() {
  const auth = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [token, setToken] = useState('');
  const [listener, setListener] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<DemoInfo | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    auth.api
      .json<DemoInfo>('/v1/demo', { anonymous: true, signal: controller.signal })
      .then((info) => setDemo(info.demo ? info : null))
      .catch(() => setDemo(null)); // not a demo server: the token form is all there is
    return () => controller.abort();
  }, [auth.api]);

  const needsListener = auth.me?.admin === true && !auth.userId;

  async function signInWith(candidate: string) {
    setBusy(true);
    setError(null);
    try {
      const who = await auth.signIn(candidate);
      if (!who.admin) navigate(from, { replace: true });
    } catch (failure) {
      setError(describeFailure(failure).message);
    } finally {
      setBusy(false);
    }
  }

  async function onToken(event: FormEvent) {
    event.preventDefault();
    if (!token.trim()) {
      setError('Enter a token.');
      return;
    }
    await signInWith(token);
  }

  function onListener(event: FormEvent) {
    event.preventDefault();
    if (!listener.trim()) {
      setError('Enter a listener id, like user00001.');
      return;
    }
    auth.setListener(listener);
    navigate(from, { replace: true });
  }

  async function onDemo(userId: string) {
    setBusy(true);
    setError(null);
    try {
      const answer = await auth.api.json<{ user_id: string; token: string }>(
        `/v1/demo/listeners/${seg(userId)}/token`,
        { method: 'POST', anonymous: true },
      );
      await auth.signIn(answer.token);
      navigate(from, { replace: true });
    } catch (failure) {
      setError(describeFailure(failure).message);
    } finally {
      setBusy(false);
    }
  }

  if (auth.me && auth.userId && !busy) return <Navigate to={from} replace />;

  return (
    <main id="main" className={styles.page}>
      <h1 className={styles.title}>
        <span aria-hidden="true" className={styles.logo}>
          T
        </span>
        Tastemaker
      </h1>
      {error ? (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      ) : null}
      {needsListener ? (
        <form onSubmit={onListener} className={styles.card} aria-labelledby="listener-heading">
          <h2 id="listener-heading">Which listener?</h2>
          <p className={styles.note}>Signed in as {auth.me?.name} (admin). Choose whose music to show.</p>
          <label htmlFor="listener" className={styles.label}>
            Listener
          </label>
          <input
            id="listener"
            className={styles.input}
            value={listener}
            onChange={(event) => setListener(event.target.value)}
            placeholder="user00001"
            autoComplete="off"
          />
          <button type="submit" className={styles.primary}>
            View listener
          </button>
        </form>
      ) : (
        <form onSubmit={onToken} className={styles.card} aria-labelledby="signin-heading">
          <h2 id="signin-heading">Sign in</h2>
          <label htmlFor="token" className={styles.label}>
            Token
          </label>
          <input
            id="token"
            className={styles.input}
            type="password"
            value={token}
            onChange={(event) => setToken(event.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit" className={styles.primary} disabled={busy}>
            Sign in
          </button>
        </form>
      )}
      {demo && !needsListener ? (
        <section className={styles.card} aria-labelledby="demo-heading">
          <h2 id="demo-heading">Demo listeners</h2>
          <p className={styles.note}>This server runs in demo mode: pick a simulated listener to try the app.</p>
          <ul className={styles.demoList}>
            {demo.listeners.map((item) => (
              <li key={item.user_id}>
                <button
                  type="button"
                  data-testid="demo-user"
                  className={styles.demo}
                  disabled={busy}
                  onClick={() => void onDemo(item.user_id)}
                >
                  <span className={styles.demoId}>{item.user_id}</span>{' '}
                  <span className={styles.note}>{item.top_artist ?? 'no top artist yet'}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </main>
  );
}
