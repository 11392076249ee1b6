/**
 * The app against an in-memory fake of the API: sign-in, the Home sections (including a 404 one),
 * and the player's real events. Only the network and the media element are faked.
 */
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';

interface Sent {
  method: string;
  path: string;
  body: unknown;
  auth: string | null;
}

const track = (n: number) => ({ track_id: `sim:t${n}`, name: `Track ${n}`, artist_name: `Artist ${n}`, reason: null });

function fakeServer(overrides: Record<string, (body: unknown) => [number, unknown]> = {}) {
  const sent: Sent[] = [];
  const routes: Record<string, (body: unknown) => [number, unknown]> = {
    'GET /v1/me': () => [200, { name: 'user00001', admin: false }],
    'GET /v1/demo': () => [404, { ok: false, status: 404, error: 'not a demo server', errors: [] }],
    'GET /v1/users/user00001/playlists/discover-weekly': () => [
      200,
      { playlist_id: 'dw', kind: 'discover_weekly', name: 'Discover Weekly', description: null, updated_at: null, tracks: [0, 1, 2].map(track) },
    ],
    'GET /v1/users/user00001/playlists/daily-mixes': () => [
      404,
      { ok: false, status: 404, error: "no Daily Mixes for user 'user00001' yet", errors: [] },
    ],
    'GET /v1/users/user00001/listens?count=20': () => [
      200,
      {
        listens: [{ user_id: 'user00001', event_id: 'e', ts: '2026-12-01T00:00:00Z', track_id: 'sim:t9', kind: 'play', ms_played: 1000, track_name: 'Old Song', artist_name: 'Old Band', album_name: null, context: null }],
        total: 1,
        count: 1,
        offset: 0,
      },
    ],
    'GET /v1/users/user00001/recommendations?seed_tracks=sim%3At9&limit=10': () => [
      200,
      { seeds: {}, tracks: [{ id: 'sim:t7', name: 'Similar', artist_name: 'B', album_name: null, duration_ms: 1000 }] },
    ],
    'POST /v1/events': () => [202, { ok: true, accepted: 1, errors: [] }],
    ...overrides,
  };
  const fetcher = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    const path = url.pathname + url.search;
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : null;
    sent.push({ method, path, body, auth: new Headers(init?.headers).get('Authorization') });
    const trackMatch = /^\/v1\/tracks\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && trackMatch) {
      const id = decodeURIComponent(trackMatch[1]!);
      return Response.json({ track_id: id, name: id, duration_ms: 200_000, stream_url: `/v1/tracks/${trackMatch[1]}/stream?sig=x` });
    }
    const handler = routes[`${method} ${path}`];
    if (!handler) return Response.json({ ok: false, status: 404, error: `no route ${path}` }, { status: 404 });
    const [status, answer] = handler(body);
    return Response.json(answer, { status });
  });
  return { sent, fetcher, events: () => sent.filter((s) => s.path === '/v1/events').flatMap((s) => (s.body as { events: unknown[] }).events) };
}

function stubMedia() {
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(function (this: HTMLMediaElement) {
    Object.defineProperty(this, 'paused', { value: false, configurable: true });
    this.dispatchEvent(new Event('playing'));
    return Promise.resolve();
  });
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(function (this: HTMLMediaElement) {
    Object.defineProperty(this, 'paused', { value: true, configurable: true });
    this.dispatchEvent(new Event('pause'));
  });
  vi.spyOn(HTMLMediaElement.prototype, 'load').mockImplementation(() => undefined);
}

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <App />
    </MemoryRouter>,
  );
}

beforeEach(() => {
  localStorage.clear();
  stubMedia();
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('sign in', () => {
  it('validates the token with /v1/me and keeps it', async () => {
    const server = fakeServer();
    vi.stubGlobal('fetch', server.fetcher);
    renderAt('/');
    fireEvent.change(await screen.findByLabelText('Token'), { target: { value: 'tm_user' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('user00001')).toBeTruthy();
    expect(localStorage.getItem('tastemaker.token')).toBe('tm_user');
    expect(server.sent.find((s) => s.path === '/v1/me')?.auth).toBe('Token tm_user');
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy();
  });

  it('shows the API error for a bad token', async () => {
    const server = fakeServer({ 'GET /v1/me': () => [401, { ok: false, status: 401, error: 'unknown token', errors: [] }] });
    vi.stubGlobal('fetch', server.fetcher);
    renderAt('/login');
    fireEvent.change(await screen.findByLabelText('Token'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('unknown token');
    expect(localStorage.getItem('tastemaker.token')).toBeNull();
  });

  it('keeps a stored token when the server is down, and offers to retry', async () => {
    localStorage.setItem('tastemaker.token', 'tm_user');
    let up = false;
    const server = fakeServer();
    vi.stubGlobal('fetch', vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      if (!up) throw new TypeError('Failed to fetch');
      return server.fetcher(input, init);
    }));
    renderAt('/');
    expect((await screen.findByRole('alert')).textContent).toMatch(/cannot reach the Tastemaker server/);
    expect(localStorage.getItem('tastemaker.token')).toBe('tm_user');
    up = true;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('discover-weekly')).toBeTruthy();
  });

  it('offers demo listeners when the server is a demo', async () => {
    const server = fakeServer({
      'GET /v1/demo': () => [200, { demo: true, listeners: [{ user_id: 'user00001', plays: 5, top_artist: 'Abba' }] }],
      'POST /v1/demo/listeners/user00001/token': () => [201, { user_id: 'user00001', token: 'tm_demo' }],
    });
    vi.stubGlobal('fetch', server.fetcher);
    renderAt('/login');
    const pick = await screen.findByTestId('demo-user');
    expect(pick.textContent).toContain('user00001');
    expect(pick.textContent).toContain('Abba');
    fireEvent.click(pick);
    await screen.findByTestId('discover-weekly');
    expect(localStorage.getItem('tastemaker.token')).toBe('tm_demo');
  });
});

describe('home and player', () => {
  it('shows the sections, an empty state for a 404, and sends real events', async () => {
    localStorage.setItem('tastemaker.token', 'tm_user');
    const server = fakeServer();
    vi.stubGlobal('fetch', server.fetcher);
    renderAt('/');

    const weekly = await screen.findByTestId('discover-weekly');
    await waitFor(() => expect(within(weekly).getAllByTestId('track-row')).toHaveLength(3));
    const mixes = screen.getByTestId('daily-mixes');
    expect(await within(mixes).findByText("no Daily Mixes for user 'user00001' yet")).toBeTruthy();
    const because = await screen.findByTestId('because-row');
    expect(within(because).getByRole('heading').textContent).toBe('Because you listened to Old Song');
    await waitFor(() => expect(within(because).getAllByTestId('track-row')).toHaveLength(1));
    expect(within(screen.getByTestId('recently-played')).getAllByTestId('track-row')).toHaveLength(1);

    fireEvent.click(within(weekly).getByRole('button', { name: 'Play Track 0' }));
    await waitFor(() => expect(screen.getByTestId('now-playing').textContent).toContain('Track 0'));
    const audio = screen.getByTestId('audio') as HTMLAudioElement;
    await waitFor(() => expect(audio.getAttribute('src')).toBe('/v1/tracks/sim%3At0/stream?sig=x'));
    expect(screen.getByRole('button', { name: 'Pause' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Like' }));
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(screen.getByTestId('now-playing').textContent).toContain('Track 1'));
    await waitFor(() => expect(server.events()).toHaveLength(2));
    const [like, skip] = server.events() as Record<string, unknown>[];
    expect(like).toMatchObject({ type: 'like', user_id: 'user00001', track_id: 'sim:t0' });
    expect(skip).toMatchObject({ type: 'skip', track_id: 'sim:t0', context: 'discover_weekly', reason_end: 'fwdbtn' });
    expect(skip!.event_id).not.toBe(like!.event_id);

    // keyboard: Shift+← goes back (early in the track), a play with backbtn for Track 1
    await act(async () => {
      fireEvent.keyDown(window, { key: 'ArrowLeft', shiftKey: true });
    });
    await waitFor(() => expect(screen.getByTestId('now-playing').textContent).toContain('Track 0'));
    await waitFor(() => expect(server.events()).toHaveLength(3));
    expect(server.events()[2]).toMatchObject({ type: 'play', track_id: 'sim:t1', reason_start: 'fwdbtn', reason_end: 'backbtn' });

    // Space pauses (not while typing)
    fireEvent.keyDown(window, { key: ' ' });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Play' })).toBeTruthy());
  });
});

describe('listening time', () => {
  it('counts heard time across a pause, and a finished track plays on with trackdone', async () => {
    localStorage.setItem('tastemaker.token', 'tm_user');
    const server = fakeServer();
    vi.stubGlobal('fetch', server.fetcher);
    let now = Date.UTC(2026, 11, 7, 12, 0, 0);
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    renderAt('/');
    const weekly = await screen.findByTestId('discover-weekly');
    fireEvent.click(await within(weekly).findByRole('button', { name: 'Play Track 0' }));
    const audio = screen.getByTestId('audio') as HTMLAudioElement;
    await waitFor(() => expect(audio.getAttribute('src')).toContain('sim%3At0'));

    now += 20_000;
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    now += 600_000; // paused: not listening
    fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    now += 25_000;
    // the user seeks to the end; seeking adds nothing, the track then finishes
    fireEvent.change(screen.getByRole('slider', { name: 'Seek' }), { target: { value: '190' } });
    now += 5_000;
    fireEvent(audio, new Event('ended'));

    await waitFor(() => expect(screen.getByTestId('now-playing').textContent).toContain('Track 1'));
    await waitFor(() => expect(server.events()).toHaveLength(1));
    expect(server.events()[0]).toMatchObject({
      type: 'play',
      track_id: 'sim:t0',
      ms_played: 50_000,
      reason_start: 'clickrow',
      reason_end: 'trackdone',
      context: 'discover_weekly',
    });

    // Next after 30 s of listening is a play, not a skip; it started because the last one was done
    now += 31_000;
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(server.events()).toHaveLength(2));
    expect(server.events()[1]).toMatchObject({ type: 'play', track_id: 'sim:t1', ms_played: 31_000, reason_start: 'trackdone', reason_end: 'fwdbtn' });
  });
});

describe('dj', () => {
  it('starts, and Skip sends a skip and replaces up next with the answer', async () => {
    localStorage.setItem('tastemaker.token', 'tm_user');
    const batches = [
      { session_id: 's1', segment: 'Starting with favourites.', tracks: [0, 1, 2, 3, 4].map(track) },
      { session_id: 's1', segment: 'Fine, something else.', tracks: [10, 11, 12, 13, 14].map(track) },
    ];
    let asked = 0;
    const server = fakeServer({
      'POST /v1/users/user00001/dj/next': () => [200, batches[Math.min(asked++, 1)]],
    });
    vi.stubGlobal('fetch', server.fetcher);
    renderAt('/dj');
    fireEvent.click(await screen.findByRole('button', { name: 'Start DJ' }));
    await waitFor(() => expect(screen.getByTestId('dj-segment').textContent).toBe('Starting with favourites.'));
    const upnext = screen.getByTestId('dj-upnext');
    await waitFor(() => expect(within(upnext).getAllByTestId('track-row')).toHaveLength(4));

    fireEvent.click(screen.getByRole('button', { name: 'Skip' }));
    await waitFor(() => expect(screen.getByTestId('dj-segment').textContent).toBe('Fine, something else.'));
    await waitFor(() => expect(screen.getByTestId('now-playing').textContent).toContain('Track 10'));
    expect(within(upnext).getAllByTestId('track-row').map((row) => row.dataset.trackId)).toEqual(['sim:t11', 'sim:t12', 'sim:t13', 'sim:t14']);
    const posts = server.sent.filter((s) => s.path === '/v1/users/user00001/dj/next').map((s) => s.body);
    expect(posts[0]).toEqual({ count: 5, restart: true });
    expect(posts[1]).toEqual({ count: 5, session_id: 's1', feedback: [{ track_id: 'sim:t0', type: 'skip' }] });
    await waitFor(() => expect(server.events()).toHaveLength(1));
    expect(server.events()[0]).toMatchObject({ type: 'skip', track_id: 'sim:t0', context: 'dj' });
  });
});
