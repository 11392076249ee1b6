/**
 * Who is signed in and whose music we show. The token lives in localStorage so a reload keeps the
 * session; GET /v1/me validates it. An admin token may look at any listener, chosen by id.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiClient, ApiError } from './api/client';
import type { Me } from './api/types';

const TOKEN_KEY = 'tastemaker.token';
const LISTENER_KEY = 'tastemaker.listener';

function stored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // private mode: the session lasts until reload
  }
}

export interface Auth {
  api: ApiClient;
  token: string | null;
  me: Me | null;
  /** The listener whose pages we show: the user itself, or the admin's choice. */
  userId: string | null;
  checking: boolean;
  /** Why a stored token could not be checked (server down), null otherwise. */
  error: string | null;
  retry: () => void;
  signIn: (token: string) => Promise<Me>;
  setListener: (userId: string) => void;
  signOut: () => void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children, client }: { children: ReactNode; client?: ApiClient }) {
  const [token, setToken] = useState<string | null>(() => stored(TOKEN_KEY));
  const [me, setMe] = useState<Me | null>(null);
  const [listener, setListenerState] = useState<string | null>(() => stored(LISTENER_KEY));
  const [checking, setChecking] = useState<boolean>(() => stored(TOKEN_KEY) !== null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  const tokenRef = useRef<string | null>(token);
  tokenRef.current = token;
  const api = useMemo(() => client ?? new ApiClient(() => tokenRef.current), [client, tokenRef]);

  const signOut = useCallback(() => {
    store(TOKEN_KEY, null);
    store(LISTENER_KEY, null);
    setToken(null);
    setMe(null);
    setError(null);
    setListenerState(null);
    setChecking(false);
  }, []);

  const signIn = useCallback(
    async (candidate: string) => {
      const previous = tokenRef.current;
      tokenRef.current = candidate.trim();
      try {
        const who = await api.json<Me>('/v1/me');
        store(TOKEN_KEY, candidate.trim());
        setToken(candidate.trim());
        setMe(who);
        if (!who.admin) {
          store(LISTENER_KEY, null);
          setListenerState(null);
        }
        return who;
      } catch (error) {
        tokenRef.current = previous;
        throw error;
      }
    },
    [api, tokenRef],
  );

  useEffect(() => {
    if (!token || me) return;
    let live = true;
    setChecking(true);
    setError(null);
    api
      .json<Me>('/v1/me')
      .then((who) => live && setMe(who))
      .catch((failure: unknown) => {
        if (!live) return;
        if (failure instanceof ApiError && (failure.status === 401 || failure.status === 403)) signOut();
        else setError(failure instanceof Error ? failure.message : String(failure));
      })
      .finally(() => live && setChecking(false));
    return () => {
      live = false;
    };
  }, [api, token, me, signOut, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  const setListener = useCallback((userId: string) => {
    const id = userId.trim();
    store(LISTENER_KEY, id || null);
    setListenerState(id || null);
  }, []);

  const userId = me ? (me.admin ? listener : me.name) : null;
  const value = useMemo<Auth>(
    () => ({ api, token, me, userId, checking, error, retry, signIn, setListener, signOut }),
    [api, token, me, userId, checking, error, retry, signIn, setListener, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}
