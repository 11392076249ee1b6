/** The Wrapped page with a fake API; lottie-web itself is replaced by a recorder (it needs a real SVG engine). */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';

const segments: [number, number][] = [];
vi.mock('lottie-web/build/player/lottie_light', () => ({
  default: {
    loadAnimation: () => ({
      playSegments: (segment: [number, number]) => segments.push(segment),
      destroy: () => undefined,
    }),
  },
}));

const year = new Date().getFullYear();
const story = {
  ip: 0,
  op: 360,
  markers: [
    { tm: 0, cm: 'intro', dr: 180 },
    { tm: 180, cm: 'minutes', dr: 90 },
    { tm: 270, cm: 'top-artists', dr: 90 },
  ],
};

function serve(recapYears: number[]) {
  const calls: { path: string; auth: string | null }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), 'http://localhost').pathname;
      calls.push({ path, auth: new Headers(init?.headers).get('Authorization') });
      if (path === '/v1/me') return Response.json({ name: 'user00001', admin: false });
      const match = /^\/v1\/users\/user00001\/wrapped\/(\d+)(\/story\.json|\/cards\/([\w-]+)\.png)?$/.exec(path);
      if (match && recapYears.includes(Number(match[1]))) {
        if (match[2] === '/story.json') return Response.json(story);
        if (match[3]) return new Response(new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' }));
        return Response.json({ year: Number(match[1]) });
      }
      return Response.json({ ok: false, status: 404, error: `no Wrapped here: ${path}` }, { status: 404 });
    }),
  );
  return calls;
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
  localStorage.setItem('tastemaker.token', 'tm_user');
  segments.length = 0;
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('Wrapped', () => {
  it('steps through the slides with buttons, keys and taps, playing each segment', async () => {
    serve([year]);
    renderAt(`/wrapped/${year}`);
    const count = await screen.findByTestId('slide-count');
    expect(count.textContent).toBe('1 / 3');
    await waitFor(() => expect(segments).toEqual([[0, 180]]));

    fireEvent.click(screen.getByRole('button', { name: 'Next slide' }));
    expect(count.textContent).toBe('2 / 3');
    expect(screen.getByTestId('wrapped-slide').getAttribute('data-slide-index')).toBe('1');
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(count.textContent).toBe('3 / 3');
    expect(screen.getByRole('button', { name: 'Next slide' })).toHaveProperty('disabled', true);
    const slide = screen.getByTestId('wrapped-slide');
    vi.spyOn(slide, 'getBoundingClientRect').mockReturnValue({ left: 0, top: 0, width: 300, height: 500 } as DOMRect);
    fireEvent.click(slide, { clientX: 20 }); // left third: back
    expect(count.textContent).toBe('2 / 3');
    fireEvent.click(screen.getByRole('button', { name: 'Previous slide' }));
    expect(count.textContent).toBe('1 / 3');
    expect(segments).toEqual([[0, 180], [180, 270], [270, 360], [180, 270], [0, 180]]);

    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('wrapped-slide')).toBeNull();
    expect(screen.getByRole('button', { name: 'Play your story' })).toBeTruthy();
  });

  it('downloads a card through an object URL, with the token', async () => {
    const calls = serve([year]);
    const created = vi.fn(() => 'blob:card');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    renderAt(`/wrapped/${year}`);
    fireEvent.click(await screen.findByRole('button', { name: 'Download top-artists card' }));
    await waitFor(() => expect(clicked).toHaveBeenCalledTimes(1));
    const card = calls.find((c) => c.path.endsWith('/cards/top-artists.png'));
    expect(card?.auth).toBe('Token tm_user');
    expect(created).toHaveBeenCalledTimes(1);
    const anchor = clicked.mock.contexts[0] as HTMLAnchorElement;
    expect(anchor.download).toBe(`wrapped-${year}-top-artists.png`);
    expect(anchor.getAttribute('href')).toBe('blob:card');
  });

  it('the nav link falls back to last year when this year has none', async () => {
    serve([year - 1]);
    renderAt('/wrapped');
    expect(await screen.findByRole('heading', { name: `Wrapped ${year - 1}` })).toBeTruthy();
    expect(await screen.findByTestId('slide-count')).toBeTruthy();
  });

  it('says so when there is no Wrapped at all', async () => {
    serve([]);
    renderAt('/wrapped');
    expect(await screen.findByText('Your Wrapped is not ready yet.')).toBeTruthy();
  });
});
