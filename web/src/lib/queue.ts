/**
 * The play queue as plain data: a list, a position, and where it came from (the event "context").
 * Pure functions so the player's rules (what Next does at the end, what Previous does after 3 s)
 * are testable without an audio element.
 */
import type { TrackItem } from '../api/types';

export type Context = 'discover_weekly' | 'daily_mix' | 'dj' | 'recently_played' | 'because';

export interface QueueState {
  items: TrackItem[];
  index: number;
  context: Context | null;
}

export const EMPTY_QUEUE: QueueState = { items: [], index: -1, context: null };

/** Play `items[start]` and queue the rest of that list after it. */
export function playList(items: TrackItem[], start: number, context: Context): QueueState {
  if (items.length === 0) return EMPTY_QUEUE;
  const index = Math.min(Math.max(start, 0), items.length - 1);
  return { items: [...items], index, context };
}

export function current(queue: QueueState): TrackItem | null {
  return queue.items[queue.index] ?? null;
}

export function hasNext(queue: QueueState): boolean {
  return queue.index + 1 < queue.items.length;
}

export function next(queue: QueueState): QueueState {
  return hasNext(queue) ? { ...queue, index: queue.index + 1 } : queue;
}

/** Previous goes back a track, or restarts this one when 3 s or more have played (or at the start). */
export const RESTART_AFTER_MS = 3000;

export function previous(queue: QueueState, positionMs: number): { queue: QueueState; restart: boolean } {
  if (positionMs >= RESTART_AFTER_MS || queue.index <= 0) return { queue, restart: true };
  return { queue: { ...queue, index: queue.index - 1 }, restart: false };
}

/** Tracks after the current one: what the DJ page shows as "up next" and counts to refill. */
export function upcoming(queue: QueueState): TrackItem[] {
  return queue.items.slice(queue.index + 1);
}

/** Add tracks at the end, leaving out ones already queued after the current track. */
export function append(queue: QueueState, items: TrackItem[]): QueueState {
  const ahead = new Set(upcoming(queue).map((item) => item.track_id));
  const fresh = items.filter((item) => !ahead.has(item.track_id));
  if (queue.index < 0) return { ...queue, items: fresh, index: fresh.length ? 0 : -1 };
  return { ...queue, items: [...queue.items, ...fresh] };
}

/** Swap everything after the current track (the DJ re-plans after a skip). */
export function replaceUpcoming(queue: QueueState, items: TrackItem[]): QueueState {
  const kept = queue.items.slice(0, queue.index + 1);
  const currentId = current(queue)?.track_id;
  return { ...queue, items: [...kept, ...items.filter((item) => item.track_id !== currentId)] };
}
