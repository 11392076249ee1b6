/**
 * Listening accounting and the events it produces. ms_played is time actually heard (wall time while
 * the audio is playing), not the playhead position: seeking forward does not add, pausing stops the
 * clock, a replayed bar counts twice — the same rule the server uses for taste.
 */
import type { Context } from './queue';

export type ReasonStart = 'clickrow' | 'trackdone' | 'fwdbtn' | 'backbtn';
export type ReasonEnd = 'trackdone' | 'fwdbtn' | 'backbtn' | 'endplay';

/** Pressing Next before this much listening is a skip, not a play (Spotify's 30 s rule). */
export const SKIP_THRESHOLD_MS = 30_000;

export interface PlaySession {
  trackId: string;
  context: Context | null;
  reasonStart: ReasonStart;
  /** Listening time banked from earlier playing stretches. */
  bankedMs: number;
  /** When the current playing stretch began (ms clock), null while paused. */
  playingSince: number | null;
}

export function startSession(trackId: string, context: Context | null, reasonStart: ReasonStart): PlaySession {
  return { trackId, context, reasonStart, bankedMs: 0, playingSince: null };
}

export function resume(session: PlaySession, now: number): PlaySession {
  return session.playingSince === null ? { ...session, playingSince: now } : session;
}

export function pause(session: PlaySession, now: number): PlaySession {
  if (session.playingSince === null) return session;
  return { ...session, bankedMs: session.bankedMs + Math.max(0, now - session.playingSince), playingSince: null };
}

export function listenedMs(session: PlaySession, now: number): number {
  const live = session.playingSince === null ? 0 : Math.max(0, now - session.playingSince);
  return Math.round(session.bankedMs + live);
}

export interface TrackEvent {
  type: 'play' | 'skip' | 'like' | 'unlike';
  user_id: string;
  track_id: string;
  ts: string;
  event_id: string;
  ms_played?: number;
  context?: string;
  reason_start?: string;
  reason_end?: string;
}

export type IdMaker = () => string;

export const newEventId: IdMaker = () => crypto.randomUUID();

/**
 * The event that closes a session: a skip when Next came before 30 s of listening, else a play.
 * `forceSkip` is the DJ's Skip button, an explicit "not this" whatever was heard.
 */
export function endEvent(
  session: PlaySession,
  reasonEnd: ReasonEnd,
  userId: string,
  now: number,
  makeId: IdMaker = newEventId,
  forceSkip = false,
): TrackEvent {
  const ms = listenedMs(session, now);
  const base = {
    user_id: userId,
    track_id: session.trackId,
    ts: new Date(now).toISOString(),
    event_id: makeId(),
    ms_played: ms,
    ...(session.context ? { context: session.context } : {}),
  };
  if (forceSkip || (reasonEnd === 'fwdbtn' && ms < SKIP_THRESHOLD_MS)) {
    return { type: 'skip', ...base, reason_end: reasonEnd };
  }
  return { type: 'play', ...base, reason_start: session.reasonStart, reason_end: reasonEnd };
}

export function likeEvent(
  trackId: string,
  userId: string,
  now: number,
  liked = true,
  makeId: IdMaker = newEventId,
): TrackEvent {
  return {
    type: liked ? 'like' : 'unlike',
    user_id: userId,
    track_id: trackId,
    ts: new Date(now).toISOString(),
    event_id: makeId(),
  };
}

/** The reason the next track starts, given why the previous one ended. */
export function reasonStartAfter(reasonEnd: ReasonEnd): ReasonStart {
  if (reasonEnd === 'endplay') return 'clickrow';
  return reasonEnd;
}
