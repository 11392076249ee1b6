import { formatTime, trackTitle } from '../lib/format';
import { usePlayer } from '../player/PlayerContext';
import { Cover } from './Cover';
import { Icon } from './Icon';
import styles from './PlayerBar.module.css';

/** The persistent bottom bar. Shortcuts: Space play/pause, Shift+→ next, Shift+← previous, L like. */
export function PlayerBar() {
  const player = usePlayer();
  const { track, details } = player;
  const title = track ? trackTitle(track.name, track.track_id) : null;
  const duration = Math.max(player.durationMs, 0);
  return (
    <section className={styles.bar} data-testid="player" aria-label="Player">
      <div className={styles.now}>
        {track ? <Cover id={track.track_id} name={track.name} size={44} /> : null}
        <p className={styles.text} data-testid="now-playing" aria-live="polite">
          {track ? (
            <>
              <span className={styles.title}>{title}</span>
              <span className={styles.artist}>{track.artist_name ?? details?.artist_name ?? ''}</span>
            </>
          ) : (
            <span className={styles.artist}>Nothing playing — pick a track.</span>
          )}
        </p>
      </div>
      <div className={styles.controls}>
        <div className={styles.buttons}>
          <button type="button" aria-label="Previous" onClick={player.previous} disabled={!track} className={styles.button}>
            <Icon name="previous" />
          </button>
          <button
            type="button"
            aria-label={player.playing ? 'Pause' : 'Play'}
            onClick={player.toggle}
            disabled={!track}
            className={`${styles.button} ${styles.main}`}
          >
            <Icon name={player.playing ? 'pause' : 'play'} />
          </button>
          <button type="button" aria-label="Next" onClick={player.next} disabled={!track} className={styles.button}>
            <Icon name="next" />
          </button>
          <button
            type="button"
            aria-label="Like"
            aria-pressed={player.liked}
            onClick={player.like}
            disabled={!track}
            className={`${styles.button} ${player.liked ? styles.liked : ''}`}
          >
            <Icon name="heart" filled={player.liked} />
          </button>
        </div>
        <div className={styles.seek}>
          <span className={styles.time}>{formatTime(player.positionMs)}</span>
          <input
            type="range"
            aria-label="Seek"
            min={0}
            max={Math.max(1, Math.round(duration / 1000))}
            step={1}
            value={Math.min(Math.round(player.positionMs / 1000), Math.max(1, Math.round(duration / 1000)))}
            aria-valuetext={`${formatTime(player.positionMs)} of ${formatTime(duration)}`}
            onChange={(event) => player.seek(Number(event.target.value) * 1000)}
            disabled={!track}
            className={styles.range}
          />
          <span className={styles.time}>{formatTime(duration)}</span>
        </div>
        {player.message ? (
          <p className={styles.message} role="status">
            {player.message}
          </p>
        ) : null}
      </div>
    </section>
  );
}
