/**
 * The one way the app talks to the Tastemaker API: fetch with the token header, and every
 * non-2xx answer turned into an ApiError carrying the server's own sentence, so pages can show
 * "no Daily Mixes yet: run `tastemaker daily`" instead of "HTTP 404".
 */

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, message: string, body: unknown = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }

  /** 404 and 503 mean "nothing here yet" (no model, no playlist, no recap): an empty state, not an error. */
  get isEmpty(): boolean {
    return this.status === 404 || this.status === 503;
  }
}

/** The API's error JSON says what went wrong in "error" (ours) or "detail" (framework defaults). */
export function errorMessage(status: number, body: unknown, fallback = ''): string {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['error', 'detail', 'message']) {
      const value = record[key];
      if (typeof value === 'string' && value.trim()) return value;
    }
  }
  if (typeof body === 'string' && body.trim() && body.length < 300) return body.trim();
  return fallback || `request failed with HTTP ${status}`;
}

export type TokenSource = () => string | null;

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Send no Authorization header (the demo endpoints need none). */
  anonymous?: boolean;
  /** Let the request outlive the page (the last play event on unload). */
  keepalive?: boolean;
}

export class ApiClient {
  private readonly base: string;
  private readonly token: TokenSource;
  private readonly fetcher: typeof fetch;

  constructor(token: TokenSource, base = '', fetcher?: typeof fetch) {
    this.token = token;
    this.base = base;
    // Bound late so tests (and the browser) can swap globalThis.fetch.
    this.fetcher = fetcher ?? ((input, init) => globalThis.fetch(input, init));
  }

  private headers(options: RequestOptions, json: boolean): Headers {
    const headers = new Headers();
    const token = this.token();
    if (token && !options.anonymous) headers.set('Authorization', `Token ${token}`);
    if (json) headers.set('Content-Type', 'application/json');
    headers.set('Accept', 'application/json');
    return headers;
  }

  /** The raw response of a successful request; a network failure or non-2xx status throws ApiError. */
  async raw(path: string, options: RequestOptions = {}): Promise<Response> {
    const hasBody = options.body !== undefined;
    let response: Response;
    try {
      response = await this.fetcher(this.base + path, {
        method: options.method ?? (hasBody ? 'POST' : 'GET'),
        headers: this.headers(options, hasBody),
        body: hasBody ? JSON.stringify(options.body) : undefined,
        signal: options.signal,
        keepalive: options.keepalive,
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError(0, 'cannot reach the Tastemaker server: is `tastemaker serve` running?');
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      throw new ApiError(response.status, errorMessage(response.status, body, response.statusText), body);
    }
    return response;
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.raw(path, options);
    if (response.status === 204) return null as T;
    return (await response.json()) as T;
  }

  async blob(path: string, options: RequestOptions = {}): Promise<Blob> {
    return (await this.raw(path, options)).blob();
  }
}

/** Encode a path segment: catalog ids like "sim:t123" carry a colon. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
