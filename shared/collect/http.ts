import { CredentialError, type CollectorSource, type HttpClient, type HttpResponse } from './types.ts';

/** Gives the current access token; `refresh` forces a new one (after a 401). */
export interface TokenProvider {
  token(refresh?: boolean): Promise<string>;
  /** How the token travels: `Authorization: Bearer …` by default, `PRIVATE-TOKEN` for GitLab. */
  headers?(token: string): Record<string, string>;
}

export interface HttpOptions {
  source: CollectorSource;
  auth?: TokenProvider;
  /** What to grant when the API answers 403: named in the error a person reads. */
  permission?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Attempts for one request before giving up (429, 5xx, network faults). */
  attempts?: number;
  /** No single wait is longer than this, whatever Retry-After says. */
  maxDelayMs?: number;
  /** Counts retries and refreshes (metrics, tests). */
  onRetry?: (why: 'throttled' | 'unavailable' | 'network' | 'token-refresh', waitMs: number) => void;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const BASE_DELAY_MS = 500;

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * HTTP for collectors: honours Retry-After on 429 and 503, backs off with full jitter on other
 * transient faults, refreshes an expired token once, and turns a refused credential into a
 * CredentialError that names the permission to grant.
 */
export function httpClient(options: HttpOptions): HttpClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const attempts = options.attempts ?? 8;
  const maxDelay = options.maxDelayMs ?? 60_000;

  async function request(method: 'GET' | 'POST', url: string, body: string | URLSearchParams | undefined, headers: Record<string, string>): Promise<HttpResponse> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const auth = options.auth ? await options.auth.token() : undefined;
      const authHeaders = auth === undefined ? {} : options.auth!.headers?.(auth) ?? { authorization: `Bearer ${auth}` };
      let res: Response;
      try {
        res = await doFetch(url, { method, headers: { accept: 'application/json', ...authHeaders, ...headers }, ...(body !== undefined ? { body } : {}) });
      } catch (e) {
        if (attempt >= attempts) throw new Error(`${options.source}: ${method} ${redact(url)} failed after ${attempt} attempts: ${(e as Error).message}`);
        const wait = backoff(attempt);
        options.onRetry?.('network', wait);
        await sleep(wait);
        continue;
      }
      const text = await res.text();
      if (res.status === 401 && options.auth && !refreshed) {
        refreshed = true;
        options.onRetry?.('token-refresh', 0);
        await options.auth.token(true);
        attempt--; // a refresh is not a failed attempt
        continue;
      }
      if (res.status === 401) throw new CredentialError(options.source, `${options.source}: the API refused the credential (401) even after a new token: it was revoked or expired; renew it in the secret`, options.permission);
      if (res.status === 403 && !isRateLimit403(res, text)) throw new CredentialError(options.source, `${options.source}: the credential lacks a permission (403 from ${redact(url)})${options.permission ? `: grant ${options.permission}` : ''}${detail(text)}`, options.permission);
      if (RETRYABLE.has(res.status) || isRateLimit403(res, text)) {
        if (attempt >= attempts) throw new Error(`${options.source}: ${method} ${redact(url)} answered ${res.status} ${attempt} times; giving up until the next run`);
        const wait = Math.min(maxDelay, retryAfterMs(res.headers.get('retry-after')) ?? rateLimitResetMs(res) ?? backoff(attempt));
        options.onRetry?.(res.status === 429 || res.status === 403 ? 'throttled' : 'unavailable', wait);
        await sleep(wait);
        continue;
      }
      if (res.status >= 400) throw new Error(`${options.source}: ${method} ${redact(url)} answered ${res.status}${detail(text)}`);
      return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
    }
  }

  /** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), capped. */
  function backoff(attempt: number): number {
    return Math.floor(random() * Math.min(maxDelay, BASE_DELAY_MS * 2 ** attempt));
  }

  return {
    get: (url, headers = {}) => request('GET', url, undefined, headers),
    post: (url, body, headers = {}) => request('POST', url, body, headers),
  };
}

/** GitHub says "secondary rate limit" with a 403 and x-ratelimit-remaining: 0. */
function isRateLimit403(res: Response, text: string): boolean {
  return res.status === 403 && (res.headers.get('x-ratelimit-remaining') === '0' || /rate limit/i.test(text));
}

function rateLimitResetMs(res: Response): number | undefined {
  const reset = Number(res.headers.get('x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : undefined;
}

/** Tokens never appear in messages: query strings are dropped. */
const redact = (url: string) => url.replace(/\?.*$/, '');
const detail = (text: string) => (text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : '');
