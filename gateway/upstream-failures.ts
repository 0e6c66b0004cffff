/**
 * What an upstream failure means for a request: whether it may go to another endpoint (it failed
 * before any response byte and left the endpoint untouched by the request), whether the request
 * may be sent again at all (idempotent methods), and the short reason a 502 body gives.
 */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Errors that happen before any response byte and leave the endpoint untouched by the request. */
const RETRYABLE: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED',
]);

/** A short reason for a 502 body. */
export function failureReason(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': case 'EPIPE': case 'UND_ERR_SOCKET': return 'connection reset by upstream';
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return 'upstream connect timeout';
    case 'UND_ERR_HEADERS_TIMEOUT': return 'upstream response timeout';
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EADDRNOTAVAIL': return 'upstream unreachable';
    default: return 'upstream error';
  }
}

export function isRetryableError(err: Error & { code?: string }): boolean {
  return err.code !== undefined && RETRYABLE.has(err.code);
}

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}
