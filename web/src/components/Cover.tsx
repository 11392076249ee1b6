import { coverStyle, initials, mosaicIds } from '../lib/covers';
import styles from './Cover.module.css';

/** A generated cover: gradient from the id, initials from the name. Decorative, so hidden from AT. */
export function Cover({ id, name, size = 48 }: { id: string; name: string | null | undefined; size?: number }) {
  const look = coverStyle(id);
  return (
    <span
      className={styles.cover}
      aria-hidden="true"
      style={{ background: look.background, color: look.color, width: size, height: size, fontSize: size * 0.36 }}
    >
      {initials(name)}
    </span>
  );
}

export function Mosaic({ tracks, size = 160 }: { tracks: { track_id: string; name: string | null }[]; size?: number }) {
  const names = new Map(tracks.map((t) => [t.track_id, t.name]));
  const ids = mosaicIds(tracks.map((t) => t.track_id));
  return (
    <span className={styles.mosaic} aria-hidden="true" style={{ width: size }}>
      {ids.map((id, n) => (
        <Cover key={`${n}-${id}`} id={id} name={names.get(id)} size={size / 2} />
      ))}
    </span>
  );
}
