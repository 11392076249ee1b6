import { useRef, useState, type KeyboardEvent } from 'react';
import { seg } from '../api/client';
import type { Profile, TimeRange, TopList } from '../api/types';
import { useAuth } from '../auth';
import { EmptyState, Section } from '../components/Section';
import { axisViews, describeAxis, featureBars, type Bar } from '../lib/profile';
import { useResource } from '../lib/useResource';
import styles from './ProfilePage.module.css';

const RANGES: { id: TimeRange; label: string }[] = [
  { id: 'short_term', label: 'Short term' },
  { id: 'medium_term', label: 'Medium term' },
  { id: 'long_term', label: 'Long term' },
];

export function ProfilePage() {
  const { api, userId } = useAuth();
  const user = seg(userId ?? '');
  const [range, setRange] = useState<TimeRange>('short_term');
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const profile = useResource((signal) => api.json<Profile>(`/v1/users/${user}/profile`, { signal }), [api, user]);
  const artists = useResource(
    (signal) => api.json<TopList>(`/v1/users/${user}/top/artists?time_range=${range}&limit=10`, { signal }),
    [api, user, range],
  );
  const genres = useResource(
    (signal) => api.json<TopList>(`/v1/users/${user}/top/genres?time_range=${range}&limit=10`, { signal }),
    [api, user, range],
  );

  function onTabKey(event: KeyboardEvent, index: number) {
    const delta = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!delta) return;
    event.preventDefault();
    const nextIndex = (index + delta + RANGES.length) % RANGES.length;
    setRange(RANGES[nextIndex]!.id);
    tabs.current[nextIndex]?.focus();
  }

  return (
    <>
      <h1>Your profile</h1>
      {profile.state === 'ok' ? <Stats profile={profile.data} /> : null}
      <div role="tablist" aria-label="Time range" className={styles.tabs}>
        {RANGES.map((item, index) => (
          <button
            key={item.id}
            ref={(element) => {
              tabs.current[index] = element;
            }}
            type="button"
            role="tab"
            id={`tab-${item.id}`}
            aria-selected={range === item.id}
            aria-controls="profile-panel"
            tabIndex={range === item.id ? 0 : -1}
            className={range === item.id ? `${styles.tab} ${styles.selected}` : styles.tab}
            onClick={() => setRange(item.id)}
            onKeyDown={(event) => onTabKey(event, index)}
          >
            {item.label}
          </button>
        ))}
      </div>
      <div id="profile-panel" role="tabpanel" aria-labelledby={`tab-${range}`} className={styles.panel}>
        <div className={styles.columns}>
          <Section id="top-artists" title="Top artists" testId="top-artists" resource={artists} empty="No top artists yet." isEmpty={(d) => d.items.length === 0}>
            {(data) => <TopItems list={data} />}
          </Section>
          <Section id="top-genres" title="Top genres" testId="top-genres" resource={genres} empty="No top genres yet." isEmpty={(d) => d.items.length === 0}>
            {(data) => <TopItems list={data} />}
          </Section>
        </div>
        <Section id="audio-taste" title="Your sound" resource={profile} empty="No taste profile yet.">
          {(data) => <AudioTaste bars={featureBars(data, range)} />}
        </Section>
        <Section id="personality" title="Listening personality" resource={profile} empty="No personality yet.">
          {(data) => <Personality profile={data} range={range} />}
        </Section>
      </div>
    </>
  );
}

function Stats({ profile }: { profile: Profile }) {
  const items: [string, number | undefined][] = [
    ['Plays', profile.plays],
    ['Minutes', profile.minutes_listened === undefined ? undefined : Math.round(profile.minutes_listened)],
    ['Skips', profile.skips],
    ['Likes', profile.likes],
  ];
  return (
    <dl className={styles.stats}>
      {items
        .filter(([, value]) => typeof value === 'number')
        .map(([label, value]) => (
          <div key={label} className={styles.stat}>
            <dt>{label}</dt>
            <dd>{value!.toLocaleString('en')}</dd>
          </div>
        ))}
    </dl>
  );
}

function TopItems({ list }: { list: TopList }) {
  return (
    <ol className={styles.top}>
      {list.items.map((item, index) => (
        <li key={item.id}>
          <span className={styles.rank}>{index + 1}</span>
          <span className={styles.topName}>{item.name ?? item.id}</span>
          {typeof item.plays === 'number' ? <span className={styles.plays}>{item.plays} plays</span> : null}
        </li>
      ))}
    </ol>
  );
}

/** A horizontal bar chart as inline SVG; title/desc make it readable to screen readers. */
export function AudioTaste({ bars }: { bars: Bar[] }) {
  if (bars.length === 0) return <EmptyState title="Not enough listening with audio features yet." />;
  const rowHeight = 34;
  const labelWidth = 130;
  const width = 520;
  const height = bars.length * rowHeight + 10;
  const summary = bars.map((bar) => `${bar.label} ${Math.round(bar.value * 100)}%`).join(', ');
  return (
    <svg
      data-testid="audio-taste"
      role="img"
      aria-labelledby="audio-taste-title audio-taste-desc"
      viewBox={`0 0 ${width} ${height}`}
      className={styles.chart}
    >
      <title id="audio-taste-title">Audio features of your listening</title>
      <desc id="audio-taste-desc">{summary}</desc>
      {bars.map((bar, n) => {
        const y = n * rowHeight + 6;
        const full = width - labelWidth - 60;
        return (
          <g key={bar.key}>
            <text x={0} y={y + 17} className={styles.chartLabel}>
              {bar.label}
            </text>
            <rect x={labelWidth} y={y + 4} width={full} height={18} rx={9} className={styles.chartTrack} />
            <rect x={labelWidth} y={y + 4} width={Math.max(4, full * bar.value)} height={18} rx={9} className={styles.chartBar} />
            <text x={labelWidth + full + 10} y={y + 17} className={styles.chartValue}>
              {Math.round(bar.value * 100)}%
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Personality({ profile, range }: { profile: Profile; range: TimeRange }) {
  const axes = axisViews(profile, range);
  return (
    <ul className={styles.axes}>
      {axes.map((axis) => (
        <li key={axis.key} className={styles.axis} data-testid="personality-axis" data-axis={axis.key}>
          <div className={styles.poles}>
            <span>{axis.low}</span>
            <span>{axis.high}</span>
          </div>
          <div className={styles.axisTrack} role="img" aria-label={describeAxis(axis)}>
            {axis.percent !== null ? (
              <span className={styles.marker} data-testid="axis-marker" style={{ left: `${axis.percent}%` }} />
            ) : (
              <span className={styles.unknown}>not enough listening yet</span>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
