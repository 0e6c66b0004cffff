/**
 * Swarm's log broker reports what it could not read after the lines it could:
 * `warning: incomplete log stream. some logs could not be retrieved for the following reasons:
 * node X is not available` (the docker CLI prints it as `error from daemon in stream: Error
 * grabbing logs: …` and exits 1). A log source throws `LogsUnavailable` for a task whose node has
 * no session; the service's stream goes on with the other tasks and ends with the warning.
 */
import { SwarmletError } from '../errors.js';
import type { LogEntry } from './control.js';

export class LogsUnavailable extends SwarmletError {
  constructor(readonly nodeId: string) {
    super('unavailable', `node ${nodeId} is not available`);
  }
}

/** moby's wording, with the gRPC prefix the docker CLI shows. */
export function incompleteLogStream(reasons: Iterable<string>): SwarmletError {
  return new SwarmletError('unavailable',
    `rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: ${[...reasons].join(', ')}`);
}

/** A task's entries; its node being unavailable is noted in `missing` instead of ending the stream. */
export async function* noteUnavailable(source: AsyncIterable<LogEntry>, missing: Set<string>): AsyncGenerator<LogEntry> {
  try {
    yield* source;
  } catch (e) {
    if (!(e instanceof LogsUnavailable)) throw e;
    missing.add(e.message);
  }
}

/** The merged entries, then the warning if some could not be read (unless the reader stopped). */
export async function* withIncompleteWarning(merged: AsyncIterable<LogEntry>, missing: ReadonlySet<string>, signal?: AbortSignal): AsyncGenerator<LogEntry> {
  yield* merged;
  if (missing.size > 0 && signal?.aborted !== true) throw incompleteLogStream(missing);
}
