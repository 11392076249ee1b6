import { seg } from '../api/client';
import type { DailyMixes, Listens, Playlist, Recommendations, TrackItem } from '../api/types';
import { useAuth } from '../auth';
import { Mosaic } from '../components/Cover';
import { Icon } from '../components/Icon';
import { EmptyState, Section } from '../components/Section';
import { TrackList } from '../components/TrackList';
import { trackTitle } from '../lib/format';
import { useResource } from '../lib/useResource';
import { usePlayer } from '../player/PlayerContext';
import styles from './HomePage.module.css';

const BECAUSE_ROWS = 2;

function listensToTracks(listens: Listens): TrackItem[] {
  return listens.listens.map((listen) => ({
    track_id: listen.track_id,
    name: listen.track_name,
    artist_name: listen.artist_name,
    album_name: listen.album_name,
    ts: listen.ts,
  }));
}

/** Distinct recent tracks that can seed a "Because you listened to" row. */
export function seedsFrom(recent: TrackItem[], count: number): TrackItem[] {
  const seen = new Set<string>();
  const seeds: TrackItem[] = [];
  for (const track of recent) {
    if (seen.has(track.track_id)) continue;
    seen.add(track.track_id);
    seeds.push(track);
    if (seeds.length === count) break;
  }
  return seeds;
}

export function HomePage() {
  const { api, userId } = useAuth();
  const user = seg(userId ?? '');
  const weekly = useResource(
    (signal) => api.json<Playlist>(`/v1/users/${user}/playlists/discover-weekly`, { signal }),
    [api, user],
  );
  const mixes = useResource(
    (signal) => api.json<DailyMixes>(`/v1/users/${user}/playlists/daily-mixes`, { signal }),
    [api, user],
  );
  const recent = useResource(
    (signal) => api.json<Listens>(`/v1/users/${user}/listens?count=20`, { signal }).then(listensToTracks),
    [api, user],
  );
  const seeds = recent.state === 'ok' ? seedsFrom(recent.data, BECAUSE_ROWS) : [];

  return (
    <>
      <h1>Home</h1>
      <Section
        id="discover-weekly"
        title="Discover Weekly"
        testId="discover-weekly"
        resource={weekly}
        empty="No Discover Weekly yet."
        isEmpty={(data) => data.tracks.length === 0}
      >
        {(data) => (
          <>
            {data.description ? <p className={styles.description}>{data.description}</p> : null}
            <TrackList tracks={data.tracks} context="discover_weekly" detail={(t) => t.reason} label="Discover Weekly tracks" />
          </>
        )}
      </Section>
      <Section
        id="daily-mixes"
        title="Daily Mixes"
        testId="daily-mixes"
        resource={mixes}
        empty="No Daily Mixes yet."
        isEmpty={(data) => data.mixes.length === 0}
      >
        {(data) => <MixGrid mixes={data.mixes} />}
      </Section>
      <Section
        id="recently-played"
        title="Recently played"
        testId="recently-played"
        resource={recent}
        empty="Nothing played yet — start with Discover Weekly."
        isEmpty={(data) => data.length === 0}
      >
        {(data) => <TrackList tracks={data} context="recently_played" label="Recently played tracks" />}
      </Section>
      {seeds.map((seed) => (
        <BecauseRow key={seed.track_id} seed={seed} />
      ))}
    </>
  );
}

function MixGrid({ mixes }: { mixes: Playlist[] }) {
  const player = usePlayer();
  return (
    <ul className={styles.mixes}>
      {mixes.map((mix) => (
        <li key={mix.playlist_id} className={styles.mix} data-testid="mix-card">
          <Mosaic tracks={mix.tracks} size={160} />
          <h3 className={styles.mixName}>{mix.name}</h3>
          <p className={styles.mixArtists}>
            {[...new Set(mix.tracks.map((t) => t.artist_name).filter(Boolean))].slice(0, 3).join(', ')}
          </p>
          <button
            type="button"
            className={styles.mixPlay}
            aria-label={`Play ${mix.name}`}
            disabled={mix.tracks.length === 0}
            onClick={() => player.playFrom(mix.tracks, 0, 'daily_mix')}
          >
            <Icon name="play" />
          </button>
        </li>
      ))}
    </ul>
  );
}

function BecauseRow({ seed }: { seed: TrackItem }) {
  const { api, userId } = useAuth();
  const user = seg(userId ?? '');
  const recs = useResource(
    (signal) =>
      api
        .json<Recommendations>(
          `/v1/users/${user}/recommendations?seed_tracks=${encodeURIComponent(seed.track_id)}&limit=10`,
          { signal },
        )
        .then((answer) =>
          answer.tracks.map<TrackItem>((t) => ({
            track_id: t.id,
            name: t.name,
            artist_name: t.artist_name,
            album_name: t.album_name,
          })),
        ),
    [api, user, seed.track_id],
  );
  const title = `Because you listened to ${trackTitle(seed.name, seed.track_id)}`;
  if (recs.state === 'loading') return null;
  return (
    <section className={styles.because} data-testid="because-row" aria-label={title}>
      <h2 className={styles.becauseTitle}>{title}</h2>
      {recs.state === 'ok' && recs.data.length > 0 ? (
        <TrackList tracks={recs.data} context="because" label={title} />
      ) : (
        <EmptyState
          title="No recommendations for this one yet."
          detail={recs.state === 'ok' ? null : recs.message}
          error={recs.state === 'error'}
        />
      )}
    </section>
  );
}
