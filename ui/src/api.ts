/**
 * The manager's Engine API from the page: same origin, the client token (when the manager wants
 * one) as a bearer header, kept in sessionStorage for the browser session. Errors carry the
 * manager's `{"message"}` text.
 */
const TOKEN_KEY = 'swarmlet.clientToken';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class Api {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  setToken(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token.trim());
  }

  forgetToken(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const t = this.token();
    return t ? { ...extra, authorization: `Bearer ${t}` } : extra;
  }

  /** A raw request (streams: events, logs); throws ApiError on a non-2xx answer. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(path, { ...init, headers: this.headers((init.headers ?? {}) as Record<string, string>), cache: 'no-store' });
    if (!res.ok) throw new ApiError(res.status, await errorText(res));
    return res;
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.request(path, signal ? { signal } : {});
    return await res.json() as T;
  }

  async post(path: string, body: unknown): Promise<void> {
    await this.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch { /* not JSON */ }
  return text.trim() || `HTTP ${res.status}`;
}

export const isAuthError = (e: unknown): boolean => e instanceof ApiError && (e.status === 401 || e.status === 403);
