import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';

const axis = (score: number) => ({ score, short_term: -score, leans: null, evidence: 5 });

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('Profile', () => {
  it('tabs drive the top lists; the chart and the four axes follow the range', async () => {
    localStorage.setItem('tastemaker.token', 'tm_user');
    const asked: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => {
        const url = new URL(String(input), 'http://localhost');
        asked.push(url.pathname + url.search);
        if (url.pathname === '/v1/me') return Response.json({ name: 'user00001', admin: false });
        if (url.pathname === '/v1/users/user00001/profile') {
          return Response.json({
            plays: 10,
            audio_features: { short_term: { energy: { mean: 0.9 } }, long_term: { energy: { mean: 0.2 } } },
            personality: {
              familiarity_exploration: axis(0.5),
              loyalty_variety: axis(-0.5),
              timelessness_newness: axis(0),
              commonality_uniqueness: axis(1),
              code: 'ELNU',
            },
          });
        }
        const top = /^\/v1\/users\/user00001\/top\/(artists|genres)$/.exec(url.pathname);
        if (top) {
          const range = url.searchParams.get('time_range');
          return Response.json({ kind: top[1], time_range: range, items: [{ id: `${top[1]}-${range}`, name: `${top[1]} of ${range}`, score: 1 }] });
        }
        return Response.json({ error: 'nope' }, { status: 404 });
      }),
    );
    render(
      <MemoryRouter initialEntries={['/profile']}>
        <App />
      </MemoryRouter>,
    );
    const artists = await screen.findByTestId('top-artists');
    await within(artists).findByText('artists of short_term');
    expect(await within(screen.getByTestId('top-genres')).findByText('genres of short_term')).toBeTruthy();
    const chart = await screen.findByTestId('audio-taste');
    expect(chart.getAttribute('role')).toBe('img');
    expect(chart.querySelector('title')?.textContent).toBe('Audio features of your listening');
    expect(chart.querySelector('desc')?.textContent).toBe('Energy 90%');
    const axes = screen.getAllByTestId('personality-axis');
    expect(axes).toHaveLength(4);
    expect(axes[0]!.textContent).toContain('Familiarity');
    expect(axes[0]!.textContent).toContain('Exploration');
    // short term reads each axis's short_term (the negated score here)
    expect((within(axes[0]!).getByTestId('axis-marker') as HTMLElement).style.left).toBe('25%');

    const long = screen.getByRole('tab', { name: 'Long term' });
    fireEvent.click(long);
    expect(long.getAttribute('aria-selected')).toBe('true');
    await within(screen.getByTestId('top-artists')).findByText('artists of long_term');
    expect(asked).toContain('/v1/users/user00001/top/genres?time_range=long_term&limit=10');
    await waitFor(() => expect(screen.getByTestId('audio-taste').querySelector('desc')?.textContent).toBe('Energy 20%'));
    expect((within(screen.getAllByTestId('personality-axis')[0]!).getByTestId('axis-marker') as HTMLElement).style.left).toBe('75%');

    // arrow keys move between tabs
    fireEvent.keyDown(long, { key: 'ArrowLeft' });
    expect(screen.getByRole('tab', { name: 'Medium term' }).getAttribute('aria-selected')).toBe('true');
    await within(screen.getByTestId('top-artists')).findByText('artists of medium_term');
  });
});
