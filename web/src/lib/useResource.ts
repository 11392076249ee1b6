/**
 * Load one API resource for a page section. 404/503 become "empty" (nothing made yet), other
 * failures "error" with the server's message; stale answers after the inputs changed are dropped.
 */
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';

export type Resource<T> =
  | { state: 'loading' }
  | { state: 'ok'; data: T }
  | { state: 'empty'; message: string }
  | { state: 'error'; message: string };

export function useResource<T>(load: ((signal: AbortSignal) => Promise<T>) | null, deps: unknown[]): Resource<T> {
  const [resource, setResource] = useState<Resource<T>>({ state: 'loading' });
  useEffect(() => {
    if (!load) {
      setResource({ state: 'loading' });
      return;
    }
    const controller = new AbortController();
    setResource({ state: 'loading' });
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setResource({ state: 'ok', data });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setResource(describeFailure(error));
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return resource;
}

export function describeFailure(error: unknown): { state: 'empty' | 'error'; message: string } {
  if (error instanceof ApiError) {
    return { state: error.isEmpty ? 'empty' : 'error', message: error.message };
  }
  return { state: 'error', message: error instanceof Error ? error.message : String(error) };
}
