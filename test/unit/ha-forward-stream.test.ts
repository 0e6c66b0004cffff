/**
 * forwardRequest (a follower's proxy to the leader) when the leader goes away mid-answer: a stream
 * (chunked: events, logs, sessions) ENDS cleanly for the client — whether the leader's connection
 * breaks or the follower cuts the exchange at a change of leader — while an answer of known length cut
 * short is destroyed (never passed off as whole). Both servers on loopback in this process; no sleeps.
 */
import t from 'tap';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';
import { forwardRequest } from '../../lib/ha/forward-request.js';
import { silentLogger } from '../../lib/logger.js';

const HOST = '127.0.0.235';

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server; sockets: Set<Socket> }> {
  const server = http.createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return { url: `http://${HOST}:${(server.address() as AddressInfo).port}`, server, sockets };
}

async function close(s: { server: http.Server; sockets: Set<Socket> }): Promise<void> {
  for (const x of s.sockets) x.destroy();
  await new Promise<void>((r) => s.server.close(() => r()));
}

/** Reads the whole answer: its text and whether the body ended cleanly or with an error. */
async function read(url: string): Promise<{ status: number; text: string; how: 'clean' | 'error' }> {
  const res = await request(url, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  let text = '';
  try {
    for await (const chunk of res.body) text += (chunk as Buffer).toString();
    return { status: res.statusCode, text, how: 'clean' };
  } catch {
    return { status: res.statusCode, text, how: 'error' };
  }
}

t.test('the leader dies mid-stream: the follower ends the chunked stream cleanly, with what came before', async (t) => {
  const leader = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"Action":"create"}\n', () => res.socket?.destroy()); // written, then the process "dies"
  });
  t.teardown(() => close(leader));
  const follower = await listen((req, res) => { void forwardRequest(req, res, leader.url, { self: 'm2', signal: new AbortController().signal, logger: silentLogger() }); });
  t.teardown(() => close(follower));
  const r = await read(`${follower.url}/events`);
  t.equal(r.status, 200);
  t.equal(r.text, '{"Action":"create"}\n', 'what the leader sent before it died');
  t.equal(r.how, 'clean', 'the stream ended (terminating chunk), not broken');
});

t.test('the leader changes (the signal aborts) while the leader still streams: the stream ends cleanly', async (t) => {
  const leader = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
    res.write('line 1\n'); // and then nothing: a paused (SIGSTOPped) leader
  });
  t.teardown(() => close(leader));
  const change = new AbortController();
  const follower = await listen((req, res) => { void forwardRequest(req, res, leader.url, { self: 'm2', signal: change.signal, logger: silentLogger() }); });
  t.teardown(() => close(follower));
  const res = await request(`${follower.url}/services/x/logs?follow=1`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  let text = '';
  let how: 'clean' | 'error' = 'clean';
  try {
    for await (const chunk of res.body) {
      text += (chunk as Buffer).toString();
      if (text === 'line 1\n') change.abort(); // the follower learns another manager leads
    }
  } catch {
    how = 'error';
  }
  t.equal(text, 'line 1\n');
  t.equal(how, 'clean', 'ended at the change of leader');
});

t.test('an answer of known length cut short: the client sees it broken, not whole', async (t) => {
  const leader = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"partial":', () => res.socket?.destroy());
  });
  t.teardown(() => close(leader));
  const follower = await listen((req, res) => { void forwardRequest(req, res, leader.url, { self: 'm2', signal: new AbortController().signal, logger: silentLogger() }); });
  t.teardown(() => close(follower));
  const r = await read(`${follower.url}/services`);
  t.equal(r.how, 'error', 'the body fails');
});

t.test('a whole answer passes as it came (status, headers, body)', async (t) => {
  const leader = await listen((req, res) => {
    res.writeHead(201, { 'content-type': 'application/json', 'x-seen-forwarded-by': String(req.headers['x-swarmlet-forwarded-by']) });
    res.end('{"ID":"abc"}');
  });
  t.teardown(() => close(leader));
  const follower = await listen((req, res) => { void forwardRequest(req, res, leader.url, { self: 'm2', signal: new AbortController().signal, logger: silentLogger() }); });
  t.teardown(() => close(follower));
  const res = await request(`${follower.url}/services/create`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  t.equal(res.statusCode, 201);
  t.equal(res.headers['x-seen-forwarded-by'], 'm2', 'marked as forwarded by this manager');
  t.equal(await res.body.text(), '{"ID":"abc"}');
});
