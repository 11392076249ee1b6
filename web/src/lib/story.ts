/**
 * The Wrapped story is one Lottie document whose markers name the slides (see wrapped/story.py):
 * slides are marker segments, and stepping through them is index arithmetic kept here.
 */

export interface StorySlide {
  name: string;
  start: number;
  end: number;
}

interface Marker {
  tm?: unknown;
  cm?: unknown;
  dr?: unknown;
}

export const SLIDE_TITLES: Record<string, string> = {
  intro: 'Your Wrapped',
};

export function slidesOf(story: unknown): StorySlide[] {
  const doc = (story ?? {}) as { markers?: unknown; op?: unknown; ip?: unknown };
  const markers = Array.isArray(doc.markers) ? (doc.markers as Marker[]) : [];
  const slides = markers
    .filter((m) => typeof m.tm === 'number' && typeof m.dr === 'number')
    .map((m, n) => ({
      name: typeof m.cm === 'string' ? m.cm : `slide-${n + 1}`,
      start: m.tm as number,
      end: (m.tm as number) + (m.dr as number),
    }))
    .sort((a, b) => a.start - b.start);
  if (slides.length === 0 && typeof doc.op === 'number') {
    return [{ name: 'story', start: typeof doc.ip === 'number' ? doc.ip : 0, end: doc.op }];
  }
  return slides;
}

/** Move by `delta` slides, staying inside the story (tapping past the last one stays on it). */
export function step(index: number, delta: number, count: number): number {
  if (count <= 0) return 0;
  return Math.min(Math.max(index + delta, 0), count - 1);
}

export function counter(index: number, count: number): string {
  return count === 0 ? '0 / 0' : `${index + 1} / ${count}`;
}

/** A tap on the left third goes back, anywhere else forward — how story players behave. */
export function tapDelta(x: number, width: number): number {
  return width > 0 && x < width / 3 ? -1 : 1;
}

export function slideTitle(name: string): string {
  return SLIDE_TITLES[name] ?? name.replace(/[-_]+/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}
