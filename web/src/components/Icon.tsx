/** Inline SVG icons: no icon font to load, no glyphs missing from the system fonts. Decorative only. */
const PATHS = {
  play: 'M8 5v14l11-7z',
  pause: 'M6 5h4v14H6zM14 5h4v14h-4z',
  previous: 'M6 6h2v12H6zM9.5 12 18 18V6z',
  next: 'M16 6h2v12h-2zM6 18l8.5-6L6 6z',
  heart: 'M12 21s-7.5-4.6-9.6-9.2C.9 8.4 3 4.5 6.6 4.5c2.1 0 3.6 1.2 4.4 2.6.8-1.4 2.3-2.6 4.4-2.6 3.6 0 5.7 3.9 4.2 7.3C19.5 16.4 12 21 12 21z',
  skip: 'M4 6l8.5 6L4 18zM13 6l8.5 6-8.5 6z',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, filled = true, size = 20 }: { name: IconName; filled?: boolean; size?: number }) {
  return (
    <svg
      aria-hidden="true"
      focusable="false"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill={filled ? 'currentColor' : 'none'}
      stroke={filled ? 'none' : 'currentColor'}
      strokeWidth={filled ? 0 : 2}
      style={{ display: 'block', margin: 'auto' }}
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
