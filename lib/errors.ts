/** One error class with a stable code; the API maps codes to HTTP statuses. */
export type ErrorCode =
  | 'not_found'        // 404
  | 'invalid_argument' // 400
  | 'ambiguous'        // 400
  | 'conflict'         // 409 (name taken, port in use)
  | 'out_of_sequence'  // 500 as moby does
  | 'failed_precondition' // 400
  | 'unimplemented'    // 501
  | 'too_large'        // 413
  | 'unavailable'      // 503
  | 'not_leader'       // 503 (this manager does not lead and cannot forward)
  | 'unauthenticated'  // 401
  | 'permission_denied' // 403
  | 'internal';        // 500

export class SwarmletError extends Error {
  readonly code: ErrorCode;
  /** Dotted path of the offending field, when the error is about one. */
  readonly field: string | undefined;
  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'SwarmletError';
    this.code = code;
    this.field = field;
  }
}

export function notFound(kind: string, ref: string): SwarmletError {
  return new SwarmletError('not_found', `${kind} ${ref} not found`);
}

export function invalid(message: string, field?: string): SwarmletError {
  return new SwarmletError('invalid_argument', message, field);
}

export function isSwarmletError(e: unknown): e is SwarmletError {
  return e instanceof SwarmletError;
}

const STATUS: Record<ErrorCode, number> = {
  not_found: 404, invalid_argument: 400, ambiguous: 400, conflict: 409, out_of_sequence: 500,
  failed_precondition: 400, unimplemented: 501, too_large: 413, unavailable: 503, not_leader: 503, internal: 500,
  unauthenticated: 401, permission_denied: 403,
};

/** Response header naming an error's field (`SwarmletError.field`), read back by swarmlet's HTTP client. */
export const ERROR_FIELD_HEADER = 'swarmlet-error-field';

export function httpStatusOf(e: unknown): number {
  return isSwarmletError(e) ? STATUS[e.code] : 500;
}
