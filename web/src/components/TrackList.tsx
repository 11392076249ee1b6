import type { TrackItem } from '../api/types';
import { trackTitle } from '../lib/format';
import type { Context } from '../lib/queue';
import { usePlayer } from '../player/PlayerContext';
import { Cover } from './Cover';
import { Icon } from './Icon';
import styles from './TrackList.module.css';

interface Props {
  tracks: TrackItem[];
  context: Context;
  /** Shown instead of the artist (e.g. the recommendation reason). */
  detail?: (track: TrackItem) => string | null | undefined;
  numbered?: boolean;
  label?: string;
}

/** A playable list: each row's button plays that track and queues the rest of the list after it. */
export function TrackList({ tracks, context, detail, numbered = true, label }: Props) {
  const player = usePlayer();
  const currentId = player.track?.track_id;
  const sameList = player.queue.context === context;
  return (
    <ol className={styles.list} aria-label={label}>
      {tracks.map((track, index) => {
        const title = trackTitle(track.name, track.track_id);
        const active = sameList && currentId === track.track_id;
        const extra = detail?.(track);
        return (
          <li
            key={`${index}-${track.track_id}`}
            className={active ? `${styles.row} ${styles.active}` : styles.row}
            data-testid="track-row"
            data-track-id={track.track_id}
            aria-current={active ? 'true' : undefined}
          >
            {numbered && <span className={styles.number}>{index + 1}</span>}
            <button
              type="button"
              className={styles.play}
              aria-label={`Play ${title}`}
              onClick={() => player.playFrom(tracks, index, context)}
            >
              <Icon name={active && player.playing ? 'pause' : 'play'} size={16} />
            </button>
            <Cover id={track.track_id} name={track.name} size={40} />
            <span className={styles.text}>
              <span className={styles.title}>{title}</span>
              <span className={styles.artist}>
                {track.artist_name ?? 'Unknown artist'}
                {extra ? <span className={styles.reason}> · {extra}</span> : null}
              </span>
            </span>
          </li>
        );
      })}
    </ol>
  );
}
