/** Errors from the manager's HTTP API: the server's `message` plus the HTTP status. */
import { SwarmletError, type ErrorCode } from '../errors.js';

/** Docker's texts that carry a more precise code than their HTTP status (400 and 500 are shared). */
const BY_MESSAGE: Array<[RegExp, ErrorCode]> = [
  [/update out of sequence/, 'out_of_sequence'],
  [/ is ambiguous \(\d+ matches found\)/, 'ambiguous'],
  [/does not have a previous spec|is not down and can't be removed|must be demoted|demote the last manager|is in use by service/, 'failed_precondition'],
];

/** The SwarmletError code of an HTTP error: from the status, refined by Docker's message where the status is shared. */
export function codeFor(status: number, message = ''): ErrorCode {
  const known = BY_MESSAGE.find(([re]) => re.test(message));
  if (known && (status === 400 || status === 500)) return known[1];
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
  /** `field`: the offending field, when the server names one (swarmlet's Swarmlet-Error-Field header). */
  constructor(status: number, message: string, field?: string) {
    super(codeFor(status, message), message, field);
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
export function apiErrorFromBody(status: number, contentType: string | undefined, body: string, field?: string): ApiError {
  const text = body.trim();
  if (text === '') return new ApiError(status, `request returned status ${status} with an empty body`, field);
  if ((contentType ?? '').includes('json') || text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return new ApiError(status, parsed.message, field);
    } catch {
      // fall through to the raw text
    }
  }
  return new ApiError(status, text, field);
}
