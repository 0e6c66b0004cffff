/** How the CLI reports failures: one clear line on stderr, exit code 1. */
import { CommanderError } from 'commander';
import { ApiError } from '../lib/client/api-error.js';
import { SwarmletError } from '../lib/errors.js';
import { DAEMON_STREAM_ERROR } from '../lib/protocol/log-frames.js';

/** The failure was already reported on stderr; just exit with this code. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode = 1) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
    this.exitCode = exitCode;
  }
}

/** A CLI-side error (printed as `Error: <message>`). */
export function cliError(message: string, field?: string): SwarmletError {
  return new SwarmletError('invalid_argument', message, field);
}

/** The stderr text for an error: `Error response from daemon: …` for the server's answers, else `Error: …`. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return `Error response from daemon: ${e.message}`;
  // As the docker CLI prints an error frame of a log stream: the message alone.
  if (e instanceof SwarmletError && e.message.startsWith(DAEMON_STREAM_ERROR)) return e.message;
  if (e instanceof Error) return `Error: ${e.message}`;
  return `Error: ${String(e)}`;
}

/** Exit code for an error that reached the top; undefined when nothing should be printed. */
export function exitCodeOf(e: unknown): { code: number; print: boolean } {
  if (e instanceof ExitError) return { code: e.exitCode, print: false };
  if (e instanceof CommanderError) return { code: e.exitCode, print: false };
  return { code: 1, print: true };
}

export function isAbortError(e: unknown): boolean {
  const err = e as { name?: string; code?: string };
  return err?.name === 'AbortError' || err?.code === 'ABORT_ERR' || err?.code === 'UND_ERR_ABORTED';
}
