/**
 * Cover art without cover art: the catalog has none, so every album/track id gets a deterministic
 * gradient and initials. The same id always looks the same, on every page and every reload.
 */

/** FNV-1a: tiny, stable across platforms, good enough spread for picking colours. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Up to two letters from the name ("Daily Mix 3" → "DM", "abba" → "A"), "♪" when there is none. */
export function initials(name: string | null | undefined): string {
  const words = (name ?? '').match(/[\p{L}\p{N}]+/gu) ?? [];
  const letters = words
    .filter((word) => !/^\d+$/.test(word))
    .slice(0, 2)
    .map((word) => word[0]!.toUpperCase())
    .join('');
  return letters || '♪';
}

export interface CoverStyle {
  background: string;
  /** Dark hues get white text, light ones near-black, for contrast. */
  color: string;
}

export function coverStyle(id: string): CoverStyle {
  const hash = hashString(id);
  const hue = hash % 360;
  const hue2 = (hue + 40 + ((hash >>> 9) % 80)) % 360;
  const angle = (hash >>> 17) % 360;
  return {
    background: `linear-gradient(${angle}deg, hsl(${hue} 65% 38%), hsl(${hue2} 70% 22%))`,
    color: '#ffffff',
  };
}

/** The four ids of a 2×2 mosaic: the first four distinct ones, repeated when the list is shorter. */
export function mosaicIds(ids: string[]): string[] {
  const distinct = [...new Set(ids)];
  if (distinct.length === 0) return [];
  return [0, 1, 2, 3].map((n) => distinct[n % distinct.length]!);
}
