import { describe, expect, it } from 'vitest';
import { counter, slidesOf, slideTitle, step, tapDelta } from './story';

const story = {
  ip: 0,
  op: 450,
  markers: [
    { tm: 0, cm: 'intro', dr: 180 },
    { tm: 270, cm: 'top-artists', dr: 90 },
    { tm: 180, cm: 'minutes', dr: 90 },
    { tm: 360, cm: 'personality', dr: 90 },
  ],
};

describe('story', () => {
  it('takes slides from the markers, in time order', () => {
    expect(slidesOf(story)).toEqual([
      { name: 'intro', start: 0, end: 180 },
      { name: 'minutes', start: 180, end: 270 },
      { name: 'top-artists', start: 270, end: 360 },
      { name: 'personality', start: 360, end: 450 },
    ]);
  });

  it('falls back to one slide without markers, none for junk', () => {
    expect(slidesOf({ ip: 0, op: 90 })).toEqual([{ name: 'story', start: 0, end: 90 }]);
    expect(slidesOf(null)).toEqual([]);
    expect(slidesOf({ markers: [{ cm: 'x' }] })).toEqual([]);
  });

  it('steps inside the story', () => {
    expect(step(0, 1, 4)).toBe(1);
    expect(step(3, 1, 4)).toBe(3);
    expect(step(0, -1, 4)).toBe(0);
    expect(step(2, -1, 4)).toBe(1);
    expect(step(5, 0, 0)).toBe(0);
  });

  it('counts like "3 / 9"', () => {
    expect(counter(2, 9)).toBe('3 / 9');
    expect(counter(0, 0)).toBe('0 / 0');
  });

  it('taps on the left third go back', () => {
    expect(tapDelta(10, 300)).toBe(-1);
    expect(tapDelta(150, 300)).toBe(1);
    expect(tapDelta(0, 0)).toBe(1);
  });

  it('titles slides', () => {
    expect(slideTitle('top-artists')).toBe('Top artists');
    expect(slideTitle('intro')).toBe('Your Wrapped');
  });
});
