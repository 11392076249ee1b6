/**
 * The persistent player: one <audio> for the whole app, the queue, and the listening events.
 * Lives above the routes so music keeps playing across pages. Rules (queue moves, skip vs play,
 * ms_played) are in lib/queue.ts and lib/events.ts; this file wires them to the audio element.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
  type RefObject,
} from 'react';
import { ApiError, seg } from '../api/client';
import type { Track, TrackItem } from '../api/types';
import { useAuth } from '../auth';
import {
  endEvent,
  likeEvent,
  pause as pauseSession,
  resume as resumeSession,
  startSession,
  type PlaySession,
  type ReasonEnd,
  type ReasonStart,
  type TrackEvent,
} from '../lib/events';
import { shortcutFor } from '../lib/keyboard';
import * as Q from '../lib/queue';

export interface Player {
  audioRef: RefObject<HTMLAudioElement | null>;
  queue: Q.QueueState;
  track: TrackItem | null;
  details: Track | null;
  playing: boolean;
  positionMs: number;
  durationMs: number;
  liked: boolean;
  message: string | null;
  playFrom: (items: TrackItem[], index: number, context: Q.Context) => void;
  toggle: () => void;
  next: () => void;
  previous: () => void;
  seek: (ms: number) => void;
  like: () => void;
  /** End the current track as a skip and continue with `replacement` as the new up-next (the DJ). */
  skipWith: (load: (skipped: TrackItem) => Promise<TrackItem[] | null>) => Promise<void>;
  append: (items: TrackItem[]) => void;
  stop: () => void;
}

const PlayerContext = createContext<Player | null>(null);

export function PlayerProvider({ children }: { children: ReactNode }) {
  const { api, userId } = useAuth();
  const audioRef = useRef<HTMLAudioElement | null>(null);
  const [queue, setQueueState] = useState<Q.QueueState>(Q.EMPTY_QUEUE);
  const queueRef = useRef(queue);
  const sessionRef = useRef<PlaySession | null>(null);
  const userRef = useRef(userId);
  userRef.current = userId;
  const [details, setDetails] = useState<Track | null>(null);
  const [playing, setPlaying] = useState(false);
  const [positionMs, setPosition] = useState(0);
  const [durationMs, setDuration] = useState(0);
  const [likedIds, setLikedIds] = useState<ReadonlySet<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  const loadToken = useRef(0);

  const setQueue = useCallback((value: Q.QueueState) => {
    queueRef.current = value;
    setQueueState(value);
  }, []);

  const send = useCallback(
    (event: TrackEvent, keepalive = false) => {
      api.json('/v1/events', { body: { events: [event] }, keepalive }).catch((error: unknown) => {
        setMessage(`could not record a ${event.type}: ${error instanceof Error ? error.message : error}`);
      });
    },
    [api],
  );

  /** Close the running session with an event (nothing when none ran or no user is chosen). */
  const endCurrent = useCallback(
    (reasonEnd: ReasonEnd, forceSkip = false, keepalive = false) => {
      const session = sessionRef.current;
      sessionRef.current = null;
      const user = userRef.current;
      if (!session || !user) return;
      send(endEvent(session, reasonEnd, user, Date.now(), undefined, forceSkip), keepalive);
    },
    [send],
  );

  /** Load the queue's current track into the audio element and start it. */
  const load = useCallback(
    (state: Q.QueueState, reasonStart: ReasonStart) => {
      const item = Q.current(state);
      const audio = audioRef.current;
      setPosition(0);
      setDuration(0);
      setMessage(null);
      if (!item) {
        setDetails(null);
        audio?.removeAttribute('src');
        audio?.load();
        return;
      }
      sessionRef.current = startSession(item.track_id, state.context, reasonStart);
      const ticket = ++loadToken.current;
      api
        .json<Track>(`/v1/tracks/${seg(item.track_id)}`)
        .then((track) => {
          if (ticket !== loadToken.current) return;
          setDetails(track);
          if (track.duration_ms) setDuration(track.duration_ms);
          if (!audio) return;
          if (!track.stream_url) {
            audio.removeAttribute('src');
            audio.load();
            setMessage('No audio for this track — press Next to go on.');
            return;
          }
          audio.src = track.stream_url;
          audio.play().catch((error: unknown) => {
            if (error instanceof DOMException && error.name === 'AbortError') return;
            if (ticket === loadToken.current) setMessage('Press Play to start the music.');
          });
        })
        .catch((error: unknown) => {
          if (ticket !== loadToken.current) return;
          setDetails(null);
          setMessage(error instanceof ApiError ? error.message : 'could not load the track');
        });
    },
    [api],
  );

  const move = useCallback(
    (state: Q.QueueState, reasonEnd: ReasonEnd, reasonStart: ReasonStart, forceSkip = false) => {
      endCurrent(reasonEnd, forceSkip);
      setQueue(state);
      load(state, reasonStart);
    },
    [endCurrent, load, setQueue],
  );

  const playFrom = useCallback(
    (items: TrackItem[], index: number, context: Q.Context) => {
      move(Q.playList(items, index, context), 'endplay', 'clickrow');
    },
    [move],
  );

  const stop = useCallback(() => {
    endCurrent('endplay');
    audioRef.current?.pause();
    setQueue(Q.EMPTY_QUEUE);
    load(Q.EMPTY_QUEUE, 'clickrow');
    setPlaying(false);
  }, [endCurrent, load, setQueue]);

  const next = useCallback(() => {
    const state = queueRef.current;
    if (!Q.current(state)) return;
    if (Q.hasNext(state)) {
      move(Q.next(state), 'fwdbtn', 'fwdbtn');
    } else {
      endCurrent('fwdbtn');
      audioRef.current?.pause();
      setMessage('End of the queue.');
    }
  }, [endCurrent, move]);

  const previous = useCallback(() => {
    const state = queueRef.current;
    const audio = audioRef.current;
    const position = audio ? audio.currentTime * 1000 : 0;
    const { queue: moved, restart } = Q.previous(state, position);
    if (restart) {
      if (audio) audio.currentTime = 0;
      return;
    }
    move(moved, 'backbtn', 'backbtn');
  }, [move]);

  const toggle = useCallback(() => {
    const audio = audioRef.current;
    if (!audio || !Q.current(queueRef.current)) return;
    if (audio.paused) {
      if (!sessionRef.current) {
        // replaying after the queue ended: a fresh listen of the same track
        sessionRef.current = startSession(Q.current(queueRef.current)!.track_id, queueRef.current.context, 'clickrow');
      }
      audio.play().catch(() => setMessage('This track cannot be played.'));
    } else {
      audio.pause();
    }
  }, []);

  const seek = useCallback((ms: number) => {
    const audio = audioRef.current;
    if (audio && Number.isFinite(ms)) audio.currentTime = Math.max(0, ms / 1000);
    setPosition(ms);
  }, []);

  const like = useCallback(() => {
    const item = Q.current(queueRef.current);
    const user = userRef.current;
    if (!item || !user) return;
    const wasLiked = likedIds.has(item.track_id);
    send(likeEvent(item.track_id, user, Date.now(), !wasLiked));
    setLikedIds((ids) => {
      const copy = new Set(ids);
      if (wasLiked) copy.delete(item.track_id);
      else copy.add(item.track_id);
      return copy;
    });
  }, [likedIds, send]);

  const skipWith = useCallback(
    async (replacement: (skipped: TrackItem) => Promise<TrackItem[] | null>) => {
      const state = queueRef.current;
      const skipped = Q.current(state);
      if (!skipped) return;
      endCurrent('fwdbtn', true);
      audioRef.current?.pause();
      let items: TrackItem[] | null = null;
      try {
        items = await replacement(skipped);
      } catch {
        items = null;
      }
      const latest = queueRef.current;
      const base = items ? Q.replaceUpcoming(latest, items) : latest;
      if (Q.hasNext(base)) {
        setQueue(Q.next(base));
        load(Q.next(base), 'fwdbtn');
      } else {
        setQueue(base);
        setMessage('End of the queue.');
      }
    },
    [endCurrent, load, setQueue],
  );

  const append = useCallback(
    (items: TrackItem[]) => {
      const state = queueRef.current;
      const wasEmpty = !Q.current(state);
      const grown = Q.append(state, items);
      setQueue(grown);
      if (wasEmpty && Q.current(grown)) load(grown, 'clickrow');
    },
    [load, setQueue],
  );

  // audio element → session clock and UI state
  useEffect(() => {
    const audio = audioRef.current;
    if (!audio) return;
    const onPlaying = () => {
      if (sessionRef.current) sessionRef.current = resumeSession(sessionRef.current, Date.now());
      setPlaying(true);
    };
    const onStop = () => {
      if (sessionRef.current) sessionRef.current = pauseSession(sessionRef.current, Date.now());
      setPlaying(!audio.paused && !audio.ended);
    };
    const onPause = () => {
      onStop();
      setPlaying(false);
    };
    const onTime = () => setPosition(audio.currentTime * 1000);
    const onMeta = () => {
      if (Number.isFinite(audio.duration) && audio.duration > 0) setDuration(audio.duration * 1000);
    };
    const onEnded = () => {
      onPause();
      const state = queueRef.current;
      if (Q.hasNext(state)) move(Q.next(state), 'trackdone', 'trackdone');
      else endCurrent('trackdone');
    };
    const onError = () => {
      if (audio.getAttribute('src')) setMessage('The audio could not be played.');
      onPause();
    };
    audio.addEventListener('playing', onPlaying);
    audio.addEventListener('pause', onPause);
    audio.addEventListener('waiting', onStop);
    audio.addEventListener('timeupdate', onTime);
    audio.addEventListener('loadedmetadata', onMeta);
    audio.addEventListener('durationchange', onMeta);
    audio.addEventListener('ended', onEnded);
    audio.addEventListener('error', onError);
    return () => {
      audio.removeEventListener('playing', onPlaying);
      audio.removeEventListener('pause', onPause);
      audio.removeEventListener('waiting', onStop);
      audio.removeEventListener('timeupdate', onTime);
      audio.removeEventListener('loadedmetadata', onMeta);
      audio.removeEventListener('durationchange', onMeta);
      audio.removeEventListener('ended', onEnded);
      audio.removeEventListener('error', onError);
    };
  }, [endCurrent, move]);

  // the last listen of a closing tab still counts
  useEffect(() => {
    const onHide = () => {
      if (sessionRef.current) endCurrent('endplay', false, true);
    };
    window.addEventListener('pagehide', onHide);
    return () => window.removeEventListener('pagehide', onHide);
  }, [endCurrent]);

  // signing out ends the session before the user disappears
  useEffect(() => {
    if (!userId && Q.current(queueRef.current)) {
      audioRef.current?.pause();
      sessionRef.current = null;
      setQueue(Q.EMPTY_QUEUE);
      setDetails(null);
    }
  }, [userId, setQueue]);

  const actions = useRef({ toggle, next, previous, like, seek });
  actions.current = { toggle, next, previous, like, seek };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const shortcut = shortcutFor(event);
      if (!shortcut || !Q.current(queueRef.current)) return;
      event.preventDefault();
      actions.current[shortcut]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const track = Q.current(queue);

  // Media Session: lock screen / headset controls
  useEffect(() => {
    const session = typeof navigator !== 'undefined' ? navigator.mediaSession : undefined;
    if (!session) return;
    if (track && typeof MediaMetadata !== 'undefined') {
      session.metadata = new MediaMetadata({
        title: track.name ?? track.track_id,
        artist: track.artist_name ?? '',
        album: details?.album_name ?? '',
      });
    } else {
      session.metadata = null;
    }
    const handlers: [MediaSessionAction, MediaSessionActionHandler][] = [
      ['play', () => actions.current.toggle()],
      ['pause', () => actions.current.toggle()],
      ['nexttrack', () => actions.current.next()],
      ['previoustrack', () => actions.current.previous()],
      ['seekto', (d) => d.seekTime !== undefined && actions.current.seek(d.seekTime * 1000)],
    ];
    for (const [action, handler] of handlers) {
      try {
        session.setActionHandler(action, handler);
      } catch {
        // an action this browser does not know
      }
    }
  }, [track, details]);

  useEffect(() => {
    if (navigator.mediaSession) navigator.mediaSession.playbackState = track ? (playing ? 'playing' : 'paused') : 'none';
  }, [track, playing]);

  const value = useMemo<Player>(
    () => ({
      audioRef,
      queue,
      track,
      details: details && track && details.track_id === track.track_id ? details : null,
      playing,
      positionMs,
      durationMs,
      liked: track ? likedIds.has(track.track_id) : false,
      message,
      playFrom,
      toggle,
      next,
      previous,
      seek,
      like,
      skipWith,
      append,
      stop,
    }),
    [queue, track, details, playing, positionMs, durationMs, likedIds, message, playFrom, toggle, next, previous, seek, like, skipWith, append, stop],
  );
  return (
    <PlayerContext.Provider value={value}>
      {children}
      {/* One element for the whole app, outside the routes, so navigation never interrupts it. */}
      <audio ref={audioRef} data-testid="audio" preload="metadata" hidden />
    </PlayerContext.Provider>
  );
}

export function usePlayer(): Player {
  const player = useContext(PlayerContext);
  if (!player) throw new Error('usePlayer outside PlayerProvider');
  return player;
}
