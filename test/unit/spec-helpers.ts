/** Shared assertions for the spec-*.test.ts files. */
import type { Test } from 'tap';
import { SwarmletError, type ErrorCode } from '../../lib/errors.js';

/** Asserts fn throws a SwarmletError with this message (exact string or pattern), field and code. */
export function expectError(t: Test, fn: () => unknown, message: string | RegExp, field?: string, code: ErrorCode = 'invalid_argument'): void {
  try {
    fn();
  } catch (e) {
    t.ok(e instanceof SwarmletError, `a SwarmletError (${String(e)})`);
    const err = e as SwarmletError;
    if (typeof message === 'string') t.equal(err.message, message, 'message');
    else t.match(err.message, message, 'message');
    t.equal(err.code, code, 'code');
    if (field !== undefined) t.equal(err.field, field, 'field');
    return;
  }
  t.fail(`expected an error: ${String(message)}`);
}
