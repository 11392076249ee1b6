/**
 * The DJ session, kept above the routes so it goes on filling the queue while you browse.
 * The server's session (session_id) remembers what it served and the feedback it got.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { seg } from '../api/client';
import type { DjBatch, TrackItem } from '../api/types';
import { useAuth } from '../auth';
import { describeFailure } from '../lib/useResource';
import * as Q from '../lib/queue';
import { usePlayer } from './PlayerContext';

/** Fetch more when fewer than this many tracks are left after the current one. */
export const REFILL_BELOW = 2;
const BATCH = 5;

export interface Dj {
  sessionId: string | null;
  segment: string | null;
  busy: boolean;
  error: string | null;
  start: () => Promise<void>;
  skip: () => Promise<void>;
}

const DjContext = createContext<Dj | null>(null);

export function DjProvider({ children }: { children: ReactNode }) {
  const { api, userId } = useAuth();
  const player = usePlayer();
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [segment, setSegment] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const refilling = useRef(false);

  const ask = useCallback(
    async (body: Record<string, unknown>): Promise<DjBatch> => {
      if (!userId) throw new Error('choose a listener first');
      const batch = await api.json<DjBatch>(`/v1/users/${seg(userId)}/dj/next`, { body });
      setSessionId(batch.session_id);
      setSegment(batch.segment);
      setError(null);
      return batch;
    },
    [api, userId],
  );

  const start = useCallback(async () => {
    setBusy(true);
    try {
      const batch = await ask({ count: BATCH, restart: true });
      if (batch.tracks.length) player.playFrom(batch.tracks, 0, 'dj');
      else setError('The DJ has nothing to play yet.');
    } catch (failure) {
      setError(describeFailure(failure).message);
    } finally {
      setBusy(false);
    }
  }, [ask, player]);

  const skip = useCallback(async () => {
    const current = player.track;
    if (!current) return;
    setBusy(true);
    try {
      await player.skipWith(async (skipped: TrackItem) => {
        const batch = await ask({
          count: BATCH,
          session_id: sessionId,
          feedback: [{ track_id: skipped.track_id, type: 'skip' }],
        });
        return batch.tracks;
      });
    } catch (failure) {
      setError(describeFailure(failure).message);
    } finally {
      setBusy(false);
    }
  }, [ask, player, sessionId]);

  // keep the DJ going: top up when the queue runs low
  const { queue, append } = player;
  useEffect(() => {
    if (queue.context !== 'dj' || !sessionId || refilling.current) return;
    if (Q.upcoming(queue).length >= REFILL_BELOW) return;
    refilling.current = true;
    ask({ count: BATCH, session_id: sessionId })
      .then((batch) => append(batch.tracks))
      .catch((failure: unknown) => setError(describeFailure(failure).message))
      .finally(() => {
        refilling.current = false;
      });
  }, [queue, sessionId, ask, append]);

  // a new listener starts a new DJ
  useEffect(() => {
    setSessionId(null);
    setSegment(null);
    setError(null);
  }, [userId]);

  const value = useMemo<Dj>(() => ({ sessionId, segment, busy, error, start, skip }), [sessionId, segment, busy, error, start, skip]);
  return <DjContext.Provider value={value}>{children}</DjContext.Provider>;
}

export function useDj(): Dj {
  const dj = useContext(DjContext);
  if (!dj) throw new Error('useDj outside DjProvider');
  return dj;
}
