/**
 * A service publishing several target ports through `swarmlet up`: each task (process driver) gets PORT
 * (the first) and PORT_<target> for each, and every published port reaches the task's own port for its
 * target through the mesh (HTTP on one, raw TCP on the other).
 */
import t from 'tap';
import { connect } from 'node:net';
import { request } from 'undici';
import { cli, lockLocalNodes, startUp, until } from '../fixtures/up-process.js';

t.setTimeout(300_000); // the file as a whole: several clusters' worth of steps on a loaded machine exceed tap's 120 s

const SERVER = `const http=require('http'),net=require('net'),h=process.env.HOST;
http.createServer((q,r)=>r.end('http on '+process.env.PORT_8080+' '+process.env.SWARMLET_TASK_NAME)).listen(+process.env.PORT,h);
net.createServer((s)=>s.end('raw on '+process.env.PORT_7000+'\\n')).listen(+process.env.PORT_7000,h);`;

function raw(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => { got += d; }).on('end', () => resolve(got)).on('error', reject);
    s.setTimeout(5000, () => { s.destroy(); reject(new Error('timeout')); });
  });
}

t.test('every target port of a service is reached through its published port', async (t) => {
  t.setTimeout(180_000);
  const release = await lockLocalNodes();
  t.teardown(release);
  const up = await startUp({ nodes: 2, extraArgs: ['--metrics-port', 'off'] });
  t.teardown(async () => { await up.stop('SIGINT').catch(() => up.kill9()); });
  t.equal((await cli(up.url, 'image', 'add', 'twoports:1', '--cmd', `node -e "${SERVER.replace(/"/g, '\\"').replace(/\n/g, ' ')}"`)).code, 0);
  const created = await cli(up.url, 'service', 'create', '--name', 'two', '--replicas', '2', '-p', '9471:8080',
    '--publish', 'published=9472,target=7000,app-protocol=tcp', 'twoports:1');
  t.equal(created.code, 0, created.stderr);
  const http = await until('http through 9471', async () => {
    const res = await request('http://127.0.0.1:9471/').catch(() => undefined);
    const body = res ? await res.body.text() : '';
    return res?.statusCode === 200 ? body : undefined;
  }, 90_000);
  t.match(http, /^http on \d+ two\.\d$/);
  const answer = await until('raw through 9472', async () => (await raw(9472).catch(() => '')) || undefined, 30_000);
  t.match(answer, /^raw on \d+\n$/, 'the second target port, at the task\'s PORT_7000');
  const a = Number(/on (\d+)/.exec(http)![1]);
  const b = Number(/on (\d+)/.exec(answer)![1]);
  t.not(a, b, 'two host ports per task');
});
