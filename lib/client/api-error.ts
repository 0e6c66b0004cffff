/** Errors from the manager's HTTP API: the server's `message` plus the HTTP status. */
import { SwarmletError, type ErrorCode } from '../errors.js';

function codeFor(status: number): ErrorCode {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'permission_denied';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too_large';
  if (status === 501) return 'unimplemented';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'invalid_argument';
  return 'internal';
}

/** An error the daemon answered with (`Error response from daemon: <message>`). */
export class ApiError extends SwarmletError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(codeFor(status), message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The manager could not be reached at all (refused, reset, DNS …). */
export class ConnectionError extends SwarmletError {
  readonly host: string;
  constructor(host: string, reason: string) {
    super('unavailable', `cannot connect to the swarmlet manager at ${host} (${reason}); is it running? (set --host or SWARMLET_HOST)`);
    this.name = 'ConnectionError';
    this.host = host;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

/** Builds an ApiError from a response body: `{"message": …}` JSON or plain text. */
export function apiErrorFromBody(status: number, contentType: string | undefined, body: string): ApiError {
  const text = body.trim();
  if (text === '') return new ApiError(status, `request returned status ${status} with an empty body`);
  if ((contentType ?? '').includes('json') || text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return new ApiError(status, parsed.message);
    } catch {
      // fall through to the raw text
    }
  }
  return new ApiError(status, text);
}
