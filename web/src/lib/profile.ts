/** Shaping the profile JSON for the charts: which features fit a 0–1 scale, where a pole marker sits. */
import type { FeatureStat, PersonalityAxis, Profile, TimeRange } from '../api/types';

/** Features on a 0–1 scale (mode's mean is the share of major-key listening). */
export const UNIT_FEATURES: [string, string][] = [
  ['danceability', 'Danceability'],
  ['energy', 'Energy'],
  ['valence', 'Happiness'],
  ['acousticness', 'Acoustic'],
  ['instrumentalness', 'Instrumental'],
  ['speechiness', 'Speech'],
  ['liveness', 'Live'],
  ['mode', 'Major key'],
];

export const AXES: { key: string; low: string; high: string }[] = [
  { key: 'familiarity_exploration', low: 'Familiarity', high: 'Exploration' },
  { key: 'loyalty_variety', low: 'Loyalty', high: 'Variety' },
  { key: 'timelessness_newness', low: 'Timelessness', high: 'Newness' },
  { key: 'commonality_uniqueness', low: 'Commonality', high: 'Uniqueness' },
];

/** The profile keeps two horizons; medium and long term both read its long one. */
export function horizon(range: TimeRange): 'short_term' | 'long_term' {
  return range === 'short_term' ? 'short_term' : 'long_term';
}

export interface Bar {
  key: string;
  label: string;
  value: number;
}

export function featureBars(profile: Profile, range: TimeRange): Bar[] {
  const stats: Record<string, FeatureStat> | null | undefined = profile.audio_features?.[horizon(range)];
  if (!stats) return [];
  return UNIT_FEATURES.flatMap(([key, label]) => {
    const mean = stats[key]?.mean;
    return typeof mean === 'number' && Number.isFinite(mean) ? [{ key, label, value: Math.min(1, Math.max(0, mean)) }] : [];
  });
}

export interface AxisView {
  key: string;
  low: string;
  high: string;
  /** -1 (low pole) … 1 (high pole), null when unknown. */
  score: number | null;
  /** Marker position in percent from the low pole. */
  percent: number | null;
}

export function axisViews(profile: Profile, range: TimeRange): AxisView[] {
  const personality = profile.personality ?? {};
  return AXES.map(({ key, low, high }) => {
    const axis = personality[key];
    const reading = axis && typeof axis === 'object' ? (axis as PersonalityAxis) : null;
    const raw = reading ? (range === 'short_term' ? reading.short_term : reading.score) : null;
    const score = typeof raw === 'number' && Number.isFinite(raw) ? Math.min(1, Math.max(-1, raw)) : null;
    return { key, low, high, score, percent: score === null ? null : Math.round(((score + 1) / 2) * 1000) / 10 };
  });
}

export function describeAxis(axis: AxisView): string {
  if (axis.score === null) return `${axis.low} or ${axis.high}: not enough listening yet`;
  const pole = axis.score < 0 ? axis.low : axis.high;
  const strength = Math.abs(axis.score);
  const word = strength < 0.15 ? 'balanced, slightly toward' : strength < 0.5 ? 'leans toward' : 'strongly toward';
  return `${axis.low} to ${axis.high}: ${word} ${pole.toLowerCase()}`;
}
