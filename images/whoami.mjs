#!/usr/bin/env node
// swarmlet's built-in `whoami` image: a tiny HTTP server (no dependencies) that tells who answered.
// Run by the process driver as `node images/whoami.mjs` with PORT, HOST and SWARMLET_* set.
//   GET /             who answered (JSON when Accept includes application/json, else text lines)
//   GET /health       200 ok
//   GET /exit?code=N  answers, then exits with code N
//   GET /sleep?ms=N   answers after N ms (at most 60 s)
// Tags: `broken` exits 1 at start, `slow` waits 3 s before listening.
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, close idle keep-alive sockets, exit 0.
import { createServer } from 'node:http';
import { hostname } from 'node:os';

// Keep serving when whoever reads our output goes away (e.g. the agent was killed): a broken
// stdout/stderr pipe must not take the data plane down with it.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

const env = process.env;
const host = env.HOST || '127.0.0.1';
const port = Number(env.PORT || 8080);
const image = env.SWARMLET_IMAGE || 'whoami:latest';
const tag = tagOf(image);
const taskName = env.SWARMLET_TASK_NAME || 'whoami';

function tagOf(ref) {
  const name = ref.split('@')[0];
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(colon + 1) : 'latest';
}

function identity(req) {
  return {
    task: taskName,
    taskId: env.SWARMLET_TASK_ID || '',
    node: env.SWARMLET_NODE || '',
    nodeId: env.SWARMLET_NODE_ID || '',
    service: env.SWARMLET_SERVICE || '',
    serviceId: env.SWARMLET_SERVICE_ID || '',
    image,
    tag,
    slot: env.SWARMLET_SLOT || '',
    hostname: hostname(),
    pid: process.pid,
    ip: `${host}:${port}`,
    request: {
      method: req.method,
      url: req.url,
      httpVersion: req.httpVersion,
      headers: req.headers,
      remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
    },
  };
}

function asText(who, req) {
  const lines = [
    `Task: ${who.task}`, `TaskID: ${who.taskId}`, `Node: ${who.node}`, `Service: ${who.service}`,
    `Image: ${who.image}`, `Tag: ${who.tag}`, `Slot: ${who.slot}`, `Hostname: ${who.hostname}`,
    `IP: ${who.ip}`, `RemoteAddr: ${who.request.remote}`,
    `${req.method} ${req.url} HTTP/${req.httpVersion}`,
  ];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return lines.join('\n') + '\n';
}

let closing = false;

function send(res, status, type, body) {
  const headers = { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-swarmlet-task': taskName };
  if (closing) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

function sendText(res, status, text) { send(res, status, 'text/plain; charset=utf-8', text + '\n'); }

function handle(req, res) {
  const url = new URL(req.url || '/', 'http://whoami');
  if (url.pathname === '/health') return sendText(res, 200, 'ok');
  if (url.pathname === '/exit') {
    const code = Number(url.searchParams.get('code') ?? '0');
    if (!Number.isInteger(code) || code < 0 || code > 255) return sendText(res, 400, 'code must be an integer 0-255');
    res.on('finish', () => process.exit(code));
    return sendText(res, 200, `exiting with code ${code}`);
  }
  if (url.pathname === '/sleep') {
    const ms = Math.min(60_000, Math.max(0, Number(url.searchParams.get('ms')) || 0));
    setTimeout(() => sendText(res, 200, `slept ${ms} ms`), ms);
    return;
  }
  const who = identity(req);
  if ((req.headers.accept || '').includes('application/json')) {
    return send(res, 200, 'application/json', JSON.stringify(who) + '\n');
  }
  return send(res, 200, 'text/plain; charset=utf-8', asText(who, req));
}

const server = createServer((req, res) => {
  res.on('finish', () => {
    console.log(`${req.method} ${req.url} ${res.statusCode}`);
    if (closing) server.closeIdleConnections();
  });
  handle(req, res);
});

function shutdown(signal) {
  if (closing) return;
  closing = true;
  console.log(`whoami ${taskName} got ${signal}, shutting down`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

function listen() {
  server.on('error', (err) => {
    console.error(`whoami: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => console.log(`whoami listening on http://${host}:${port} as ${taskName}`));
}

if (tag === 'broken') {
  console.error(`whoami: image ${image} is broken on purpose, exiting with code 1`);
  process.exit(1);
} else if (tag === 'slow') {
  console.log(`whoami ${taskName} starting slowly (3 s)`);
  setTimeout(() => { if (!closing) listen(); else process.exit(0); }, 3000);
} else {
  listen();
}
