import { describe, expect, it } from 'vitest';
import type { Profile } from '../api/types';
import { axisViews, describeAxis, featureBars, horizon } from './profile';

const profile: Profile = {
  audio_features: {
    short_term: { energy: { mean: 0.8 }, danceability: { mean: 0.5 }, tempo: { mean: 120 }, valence: { mean: null } },
    long_term: { energy: { mean: 0.3 } },
  },
  personality: {
    familiarity_exploration: { score: 0.5, short_term: -1, leans: 'exploration', evidence: 10 },
    loyalty_variety: { score: null, short_term: null, leans: null, evidence: 0 },
    code: 'E???',
  },
};

describe('profile views', () => {
  it('medium and long term read the long horizon', () => {
    expect(horizon('short_term')).toBe('short_term');
    expect(horizon('medium_term')).toBe('long_term');
    expect(horizon('long_term')).toBe('long_term');
  });

  it('charts only known 0-1 features', () => {
    expect(featureBars(profile, 'short_term')).toEqual([
      { key: 'danceability', label: 'Danceability', value: 0.5 },
      { key: 'energy', label: 'Energy', value: 0.8 },
    ]);
    expect(featureBars(profile, 'long_term').map((b) => b.value)).toEqual([0.3]);
    expect(featureBars({}, 'long_term')).toEqual([]);
  });

  it('places the four personality markers between the poles', () => {
    const long = axisViews(profile, 'long_term');
    expect(long).toHaveLength(4);
    expect(long[0]).toMatchObject({ low: 'Familiarity', high: 'Exploration', score: 0.5, percent: 75 });
    expect(long[1]?.percent).toBeNull();
    expect(axisViews(profile, 'short_term')[0]?.percent).toBe(0);
    expect(describeAxis(long[0]!)).toBe('Familiarity to Exploration: strongly toward exploration');
    expect(describeAxis(long[1]!)).toMatch(/not enough listening/);
  });
});
