import { useAuth } from '../auth';
import { Icon } from '../components/Icon';
import { EmptyState } from '../components/Section';
import { TrackList } from '../components/TrackList';
import { trackTitle } from '../lib/format';
import * as Q from '../lib/queue';
import { useDj } from '../player/DjContext';
import { usePlayer } from '../player/PlayerContext';
import styles from './DjPage.module.css';

export function DjPage() {
  const dj = useDj();
  const player = usePlayer();
  const { userId } = useAuth();
  const live = player.queue.context === 'dj' && player.track !== null;
  const upNext = live ? Q.upcoming(player.queue) : [];
  return (
    <>
      <h1>DJ</h1>
      <section className={styles.stage} aria-labelledby="dj-heading">
        <h2 id="dj-heading" className="visually-hidden">
          Your DJ for {userId}
        </h2>
        <p className={styles.segment} data-testid="dj-segment" aria-live="polite">
          {dj.segment ?? 'Your personal DJ picks the next tracks and reacts when you skip.'}
        </p>
        <div className={styles.actions}>
          <button type="button" className={styles.start} onClick={() => void dj.start()} disabled={dj.busy}>
            {live ? 'Restart DJ' : 'Start DJ'}
          </button>
          <button
            type="button"
            className={styles.skip}
            aria-label="Skip"
            onClick={() => void dj.skip()}
            disabled={!live || dj.busy}
          >
            <span className={styles.skipInner}>
              Skip <Icon name="skip" size={16} />
            </span>
          </button>
        </div>
        {live ? (
          <p className={styles.now}>
            Now playing: <strong>{trackTitle(player.track?.name, player.track?.track_id ?? '')}</strong>
            {player.track?.artist_name ? ` · ${player.track.artist_name}` : ''}
          </p>
        ) : null}
        {dj.error ? <EmptyState title="The DJ is not available right now." detail={dj.error} /> : null}
      </section>
      <section className={styles.upnext} aria-labelledby="upnext-heading" data-testid="dj-upnext">
        <h2 id="upnext-heading">Up next</h2>
        {upNext.length ? (
          <TrackList tracks={upNext} context="dj" detail={(t) => t.reason} label="Up next" numbered={false} />
        ) : (
          <p className={styles.note}>{live ? 'Fetching more…' : 'Start the DJ to see what comes next.'}</p>
        )}
      </section>
    </>
  );
}
