/** Shared assertions for the spec-*.test.ts files. */
import { SwarmletError, type ErrorCode } from '../../lib/errors.js';

interface Tap { ok(v: unknown, msg?: string): void; equal(a: unknown, b: unknown, msg?: string): void; match(a: unknown, b: unknown, msg?: string): void; fail(msg?: string): void }

/** Asserts fn throws a SwarmletError with this message (exact string or pattern), field and code. */
export function expectError(t: Tap, fn: () => unknown, message: string | RegExp, field?: string, code: ErrorCode = 'invalid_argument'): void {
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
