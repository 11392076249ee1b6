/** The JSON shapes the app reads, trimmed to the fields it uses. */

export interface Me {
  name: string;
  admin: boolean;
}

export interface DemoListener {
  user_id: string;
  plays: number;
  top_artist: string | null;
}

export interface DemoInfo {
  demo: boolean;
  listeners: DemoListener[];
}

/** A playable row: every list the app shows (playlists, listens, recommendations, DJ) maps to this. */
export interface TrackItem {
  track_id: string;
  name: string | null;
  artist_name: string | null;
  album_name?: string | null;
  album_id?: string | null;
  reason?: string | null;
  /** Present on recently played rows. */
  ts?: string;
}

export interface Playlist {
  playlist_id: string;
  kind: string;
  name: string;
  description: string | null;
  updated_at: string | null;
  tracks: TrackItem[];
}

export interface DailyMixes {
  mixes: Playlist[];
}

export interface Listen {
  user_id: string;
  event_id: string;
  ts: string;
  track_id: string;
  kind: string;
  ms_played: number | null;
  track_name: string | null;
  artist_name: string | null;
  album_name: string | null;
  context: string | null;
}

export interface Listens {
  listens: Listen[];
  total: number;
  count: number;
  offset: number;
}

export interface RecommendedTrack {
  id: string;
  name: string | null;
  artist_name: string | null;
  album_name: string | null;
  duration_ms: number | null;
}

export interface Recommendations {
  seeds: unknown;
  tracks: RecommendedTrack[];
}

export interface Track {
  track_id: string;
  name: string | null;
  artist_id: string | null;
  artist_name: string | null;
  album_id: string | null;
  album_name: string | null;
  duration_ms: number | null;
  stream_url?: string | null;
  audio_url?: string | null;
}

export interface DjBatch {
  session_id: string;
  segment: string;
  tracks: TrackItem[];
}

export type TimeRange = 'short_term' | 'medium_term' | 'long_term';

export interface TopItem {
  id: string;
  name: string | null;
  score?: number;
  plays?: number;
  artist_name?: string | null;
}

export interface TopList {
  kind: string;
  time_range: TimeRange;
  items: TopItem[];
}

export interface FeatureStat {
  mean: number | null;
  std?: number | null;
}

export interface PersonalityAxis {
  score: number | null;
  short_term: number | null;
  leans: string | null;
  evidence: number;
}

export interface Profile {
  plays?: number;
  skips?: number;
  likes?: number;
  minutes_listened?: number;
  audio_features?: {
    short_term: Record<string, FeatureStat> | null;
    long_term: Record<string, FeatureStat> | null;
  };
  personality?: Record<string, PersonalityAxis | string>;
}
