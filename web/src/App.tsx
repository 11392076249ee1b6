import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { AuthProvider, useAuth } from './auth';
import { Layout } from './components/Layout';
import { DjPage } from './pages/DjPage';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { ProfilePage } from './pages/ProfilePage';
import { DjProvider } from './player/DjContext';
import { PlayerProvider } from './player/PlayerContext';

// Wrapped brings lottie-web: loaded only when someone opens it.
const WrappedPage = lazy(() => import('./pages/WrappedPage'));
const WrappedIndex = lazy(() => import('./pages/WrappedPage').then((m) => ({ default: m.WrappedIndex })));

function RequireListener({ children }: { children: ReactNode }) {
  const { token, me, userId, checking, error, retry, signOut } = useAuth();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (!me && error && !checking) {
    return (
      <main id="main" style={{ padding: '2rem' }}>
        <h1>Tastemaker</h1>
        <p role="alert">{error}</p>
        <button type="button" onClick={retry}>
          Try again
        </button>{' '}
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </main>
    );
  }
  if (checking || !me) {
    return (
      <p role="status" style={{ padding: '2rem' }}>
        Signing in…
      </p>
    );
  }
  if (!userId) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

function Loading() {
  return <p role="status">Loading…</p>;
}

export function App() {
  return (
    <AuthProvider>
      <PlayerProvider>
        <DjProvider>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route
              element={
                <RequireListener>
                  <Layout />
                </RequireListener>
              }
            >
              <Route index element={<HomePage />} />
              <Route path="dj" element={<DjPage />} />
              <Route path="profile" element={<ProfilePage />} />
              <Route
                path="wrapped"
                element={
                  <Suspense fallback={<Loading />}>
                    <WrappedIndex />
                  </Suspense>
                }
              />
              <Route
                path="wrapped/:year"
                element={
                  <Suspense fallback={<Loading />}>
                    <WrappedPage />
                  </Suspense>
                }
              />
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </DjProvider>
      </PlayerProvider>
    </AuthProvider>
  );
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Nothing lives here. <a href="/">Go home</a>.
      </p>
    </>
  );
}
