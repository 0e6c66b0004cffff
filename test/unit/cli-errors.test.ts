import t from 'tap';
import { describeError } from '../../cmd/errors.js';
import { ApiError } from '../../lib/client/api-error.js';
import { decodeLogFrame } from '../../lib/protocol/log-frames.js';
import { SwarmletError } from '../../lib/errors.js';

t.test('describeError: daemon answers, stream errors as docker prints them, the rest as Error:', async (t) => {
  t.equal(describeError(new ApiError(404, 'service x not found')), 'Error response from daemon: service x not found');
  t.equal(describeError(new SwarmletError('invalid_argument', 'bad flag')), 'Error: bad flag');
  t.equal(describeError('plain'), 'Error: plain');
  let thrown: unknown;
  try { decodeLogFrame({ stream: 3, payload: Buffer.from('Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream\n') }, { timestamps: false, details: false }); } catch (e) { thrown = e; }
  t.equal(describeError(thrown), 'error from daemon in stream: Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream',
    'a log stream\'s error frame: the message alone, as the docker CLI prints it');
});

t.test('flag errors read "Error: …" like every other error (commander prints "error: …")', async (t) => {
  const { runCli } = await import('../../cmd/swarmlet.js');
  const { PassThrough } = await import('node:stream');
  const run = async (...args: string[]) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => { text += c.toString(); });
    const code = await runCli(['node', 'swarmlet', ...args], {
      stdout: out as unknown as NodeJS.WriteStream, stderr: err as unknown as NodeJS.WriteStream, env: {}, isTTY: false, signal: new AbortController().signal,
    });
    return { code, text };
  };
  t.same(await run('service', 'create', '--bogus', 'x'), { code: 1, text: "Error: unknown option '--bogus'\n" });
  t.same(await run('service', 'scale'), { code: 1, text: "Error: missing required argument 'service=replicas'\n" });
});
