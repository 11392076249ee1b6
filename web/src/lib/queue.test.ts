import { describe, expect, it } from 'vitest';
import type { TrackItem } from '../api/types';
import * as Q from './queue';

const tracks = (n: number): TrackItem[] =>
  Array.from({ length: n }, (_, i) => ({ track_id: `sim:t${i}`, name: `Track ${i}`, artist_name: 'A' }));

describe('queue', () => {
  it('plays the clicked row and queues the rest of the list', () => {
    const q = Q.playList(tracks(5), 2, 'discover_weekly');
    expect(Q.current(q)?.track_id).toBe('sim:t2');
    expect(Q.upcoming(q).map((t) => t.track_id)).toEqual(['sim:t3', 'sim:t4']);
    expect(q.context).toBe('discover_weekly');
  });

  it('clamps the start index and treats an empty list as nothing playing', () => {
    expect(Q.current(Q.playList(tracks(3), 9, 'dj'))?.track_id).toBe('sim:t2');
    expect(Q.current(Q.playList([], 0, 'dj'))).toBeNull();
  });

  it('next stops at the end', () => {
    let q = Q.playList(tracks(2), 0, 'dj');
    expect(Q.hasNext(q)).toBe(true);
    q = Q.next(q);
    expect(Q.current(q)?.track_id).toBe('sim:t1');
    expect(Q.hasNext(q)).toBe(false);
    expect(Q.next(q)).toBe(q);
  });

  it('previous goes back early in a track and restarts it later', () => {
    const q = Q.playList(tracks(3), 1, 'because');
    const early = Q.previous(q, 1200);
    expect(early.restart).toBe(false);
    expect(Q.current(early.queue)?.track_id).toBe('sim:t0');
    const late = Q.previous(q, 3000);
    expect(late.restart).toBe(true);
    expect(late.queue).toBe(q);
    expect(Q.previous(Q.playList(tracks(3), 0, 'dj'), 0).restart).toBe(true);
  });

  it('append skips tracks already waiting and starts an empty queue', () => {
    const q = Q.playList(tracks(3), 0, 'dj');
    const grown = Q.append(q, [{ track_id: 'sim:t2', name: null, artist_name: null }, { track_id: 'x', name: null, artist_name: null }]);
    expect(grown.items.map((t) => t.track_id)).toEqual(['sim:t0', 'sim:t1', 'sim:t2', 'x']);
    const fresh = Q.append({ ...Q.EMPTY_QUEUE, context: 'dj' }, tracks(2));
    expect(Q.current(fresh)?.track_id).toBe('sim:t0');
  });

  it('replaceUpcoming keeps the played part and swaps the rest', () => {
    const q = Q.next(Q.playList(tracks(4), 0, 'dj'));
    const replaced = Q.replaceUpcoming(q, [
      { track_id: 'sim:t1', name: null, artist_name: null },
      { track_id: 'new1', name: null, artist_name: null },
    ]);
    expect(replaced.items.map((t) => t.track_id)).toEqual(['sim:t0', 'sim:t1', 'new1']);
    expect(Q.current(replaced)?.track_id).toBe('sim:t1');
  });
});
