import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, errorMessage, seg } from './client';

type Call = { url: string; init: RequestInit };

function fake(response: () => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    return response();
  }) as typeof fetch;
  return { calls, fetcher };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('ApiClient', () => {
  it('sends the token and JSON body', async () => {
    const { calls, fetcher } = fake(() => json(202, { ok: true, accepted: 1 }));
    const api = new ApiClient(() => 'tm_abc', '', fetcher);
    const answer = await api.json<{ accepted: number }>('/v1/events', { body: { events: [] } });
    expect(answer.accepted).toBe(1);
    const headers = new Headers(calls[0]!.init.headers);
    expect(calls[0]!.init.method).toBe('POST');
    expect(headers.get('Authorization')).toBe('Token tm_abc');
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(calls[0]!.init.body).toBe('{"events":[]}');
  });

  it('sends no token when anonymous or signed out', async () => {
    const { calls, fetcher } = fake(() => json(200, {}));
    await new ApiClient(() => 'tm_abc', '', fetcher).json('/v1/demo', { anonymous: true });
    await new ApiClient(() => null, '', fetcher).json('/v1/demo');
    expect(new Headers(calls[0]!.init.headers).has('Authorization')).toBe(false);
    expect(new Headers(calls[1]!.init.headers).has('Authorization')).toBe(false);
  });

  it('surfaces the API error sentence', async () => {
    const { fetcher } = fake(() =>
      json(404, { ok: false, status: 404, error: "no Daily Mixes for user 'u' yet", errors: [] }),
    );
    const api = new ApiClient(() => 't', '', fetcher);
    const error = await api.json('/v1/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).message).toBe("no Daily Mixes for user 'u' yet");
    expect((error as ApiError).isEmpty).toBe(true);
  });

  it('reads "detail" bodies, text bodies, and falls back to the status', async () => {
    expect(errorMessage(401, { detail: 'Unauthorized' })).toBe('Unauthorized');
    expect(errorMessage(502, 'Bad Gateway')).toBe('Bad Gateway');
    expect(errorMessage(500, null)).toBe('request failed with HTTP 500');
    const { fetcher } = fake(() => new Response('<html>oops</html>'.repeat(50), { status: 500, statusText: 'Server Error' }));
    const error = (await new ApiClient(() => 't', '', fetcher).json('/x').catch((e: unknown) => e)) as ApiError;
    expect(error.message).toBe('Server Error');
    expect(error.isEmpty).toBe(false);
  });

  it('turns a network failure into a readable error', async () => {
    const fetcher = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const error = (await new ApiClient(() => 't', '', fetcher).json('/x').catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/cannot reach/);
  });

  it('encodes catalog ids in paths', () => {
    expect(seg('sim:t1')).toBe('sim%3At1');
  });
});
