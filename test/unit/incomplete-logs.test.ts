import t from 'tap';
import type { LogEntry } from '../../lib/manager/control.js';
import { LogsUnavailable, incompleteLogStream, noteUnavailable, withIncompleteWarning } from '../../lib/manager/incomplete-logs.js';
import { mergeLogs } from '../../lib/manager/merge-logs.js';

const entry = (taskId: string, time: number): LogEntry => ({ taskId, serviceId: 's', nodeId: 'n', stream: 'stdout', time, text: `${taskId}@${time}` });
async function* lines(taskId: string, times: number[], thenUnavailable?: string): AsyncGenerator<LogEntry> {
  for (const time of times) yield entry(taskId, time);
  if (thenUnavailable) throw new LogsUnavailable(thenUnavailable);
}
async function read(it: AsyncIterable<LogEntry>): Promise<{ got: string[]; err: Error | undefined }> {
  const got: string[] = [];
  try { for await (const e of it) got.push(e.text); return { got, err: undefined }; } catch (e) { return { got, err: e as Error }; }
}

t.test('the lines that could be read, in time order, then one warning naming every unavailable node', async (t) => {
  const missing = new Set<string>();
  const merged = mergeLogs([
    noteUnavailable(lines('a', [1, 3]), missing),
    noteUnavailable(lines('b', [], 'n2'), missing),
    noteUnavailable(lines('c', [2], 'n3'), missing),
  ], false);
  const { got, err } = await read(withIncompleteWarning(merged, missing));
  t.same(got, ['a@1', 'c@2', 'a@3']);
  t.equal(err?.message, 'rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: node n2 is not available, node n3 is not available');
});

t.test('no warning when every node answered, or when the reader stopped', async (t) => {
  const none = new Set<string>();
  t.same(await read(withIncompleteWarning(mergeLogs([noteUnavailable(lines('a', [1]), none)], false), none)), { got: ['a@1'], err: undefined });
  const missing = new Set<string>();
  const ac = new AbortController();
  ac.abort();
  const r = await read(withIncompleteWarning(mergeLogs([noteUnavailable(lines('b', [], 'n2'), missing)], false), missing, ac.signal));
  t.equal(r.err, undefined, 'aborted: nothing thrown');
});

t.test('other errors are not swallowed', async (t) => {
  const missing = new Set<string>();
  async function* broken(): AsyncGenerator<LogEntry> { yield entry('a', 1); throw new Error('disk on fire'); }
  const r = await read(noteUnavailable(broken(), missing));
  t.equal(r.err?.message, 'disk on fire');
  t.equal(missing.size, 0);
  t.equal(incompleteLogStream(['x']).code, 'unavailable');
});
