import { describe, expect, it } from 'vitest';
import { endEvent, likeEvent, listenedMs, pause, reasonStartAfter, resume, SKIP_THRESHOLD_MS, startSession } from './events';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const ids = () => {
  let n = 0;
  return () => `id-${++n}`;
};

describe('ms_played accounting', () => {
  it('counts only time spent playing, across pauses', () => {
    let s = startSession('sim:t1', 'discover_weekly', 'clickrow');
    s = resume(s, T0);
    s = pause(s, T0 + 10_000);
    // paused for a minute: not listening
    s = resume(s, T0 + 70_000);
    expect(listenedMs(s, T0 + 75_000)).toBe(15_000);
  });

  it('is not the playhead position: seeking ahead adds nothing', () => {
    let s = resume(startSession('sim:t1', 'dj', 'clickrow'), T0);
    // the user seeks to 2:00 after 5 s; the audio element keeps playing (no pause event)
    expect(listenedMs(s, T0 + 5_000)).toBe(5_000);
    s = pause(s, T0 + 8_000);
    expect(s.bankedMs).toBe(8_000);
  });

  it('ignores repeated resume and pause', () => {
    let s = resume(startSession('a', null, 'clickrow'), T0);
    s = resume(s, T0 + 5_000);
    s = pause(s, T0 + 6_000);
    s = pause(s, T0 + 9_000);
    expect(listenedMs(s, T0 + 20_000)).toBe(6_000);
  });
});

describe('end events', () => {
  it('Next before 30 s of listening is a skip', () => {
    const s = resume(startSession('sim:t1', 'discover_weekly', 'clickrow'), T0);
    const event = endEvent(s, 'fwdbtn', 'user00001', T0 + 12_345, ids());
    expect(event).toEqual({
      type: 'skip',
      user_id: 'user00001',
      track_id: 'sim:t1',
      ts: new Date(T0 + 12_345).toISOString(),
      event_id: 'id-1',
      ms_played: 12_345,
      context: 'discover_weekly',
      reason_end: 'fwdbtn',
    });
  });

  it('Next after 30 s is a play with both reasons', () => {
    const s = resume(startSession('sim:t1', 'daily_mix', 'trackdone'), T0);
    const event = endEvent(s, 'fwdbtn', 'u', T0 + SKIP_THRESHOLD_MS, ids());
    expect(event.type).toBe('play');
    expect(event.ms_played).toBe(SKIP_THRESHOLD_MS);
    expect(event.reason_start).toBe('trackdone');
    expect(event.reason_end).toBe('fwdbtn');
  });

  it('a short listen ended another way (back, done, new row) is still a play', () => {
    const s = resume(startSession('t', 'because', 'clickrow'), T0);
    for (const reason of ['backbtn', 'trackdone', 'endplay'] as const) {
      const event = endEvent(s, reason, 'u', T0 + 2_000, ids());
      expect(event.type).toBe('play');
      expect(event.reason_end).toBe(reason);
    }
  });

  it('the DJ Skip button forces a skip even after 30 s', () => {
    const s = resume(startSession('t', 'dj', 'clickrow'), T0);
    const event = endEvent(s, 'fwdbtn', 'u', T0 + 95_000, ids(), true);
    expect(event.type).toBe('skip');
    expect(event.ms_played).toBe(95_000);
  });

  it('each event gets a fresh id', () => {
    const s = startSession('t', null, 'clickrow');
    const a = endEvent(s, 'endplay', 'u', T0);
    const b = endEvent(s, 'endplay', 'u', T0);
    expect(a.event_id).not.toBe(b.event_id);
    expect(a.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toHaveProperty('context');
  });

  it('likes and unlikes', () => {
    expect(likeEvent('t', 'u', T0, true, ids())).toEqual({
      type: 'like',
      user_id: 'u',
      track_id: 't',
      ts: new Date(T0).toISOString(),
      event_id: 'id-1',
    });
    expect(likeEvent('t', 'u', T0, false).type).toBe('unlike');
  });

  it('the next track starts for the reason the last one ended', () => {
    expect(reasonStartAfter('trackdone')).toBe('trackdone');
    expect(reasonStartAfter('fwdbtn')).toBe('fwdbtn');
    expect(reasonStartAfter('backbtn')).toBe('backbtn');
    expect(reasonStartAfter('endplay')).toBe('clickrow');
  });
});
