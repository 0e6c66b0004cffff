/**
 * HAProxy and Caddy (Debian packages) as reference proxies beside nginx: each with its own
 * temporary config on loopback, in the foreground so this process owns it. HAProxy runs in
 * `mode http` (round-robin, keep-alive both sides, connection reuse) for the HTTP comparison and
 * in `mode tcp` (round-robin per connection) for the layer-4 one; Caddy as `reverse_proxy` with
 * round-robin. Missing binaries are reported, not installed (apt-get install haproxy caddy).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyConfig } from './proxy-config.js';

export type Found = { path: string } | { path: undefined; reason: string };

export function findBinary(name: string, pkg = name): Found {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin'])) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return { path: p };
  }
  return { path: undefined, reason: `${name} is not installed (apt-get install -y ${pkg}): skipped` };
}

export interface Prepared { argv: string[]; env?: Record<string, string>; cleanup(): void }

/** haproxy.cfg: `threads` threads, round-robin over the backends; http: keep-alive and reuse; tcp: one backend per connection. */
export function haproxyConfig(cfg: ProxyConfig, mode: 'http' | 'tcp', threads: number): string {
  const servers = cfg.backends.map((b, i) => `  server s${i} ${b.addr}:${b.port}`).join('\n');
  const http = mode === 'http'
    ? '  option http-keep-alive\n  http-reuse always\n  option forwardfor\n'
    : '';
  return `global
  nbthread ${threads}
  maxconn 4096
defaults
  mode ${mode}
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout http-keep-alive 65s
${http}frontend f
  bind ${cfg.listen.addr}:${cfg.listen.port}
  default_backend b
backend b
  balance roundrobin
${servers}
`;
}

export function prepareHaproxy(cfg: ProxyConfig, mode: 'http' | 'tcp', threads: number): Prepared {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-perf-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig(cfg, mode, threads));
  return { argv: ['-db', '-f', file], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A Caddyfile: no admin endpoint, no automatic HTTPS, round-robin reverse proxy over the backends. */
export function caddyfile(cfg: ProxyConfig): string {
  const upstreams = cfg.backends.map((b) => `${b.addr}:${b.port}`).join(' ');
  return `{
  admin off
  auto_https off
}
http://${cfg.listen.addr}:${cfg.listen.port} {
  log {
    output discard
  }
  reverse_proxy ${upstreams} {
    lb_policy round_robin
  }
}
`;
}

/** Caddy with GOMAXPROCS = `procs` (the cores it may use), its data and config homes in a temp dir. */
export function prepareCaddy(cfg: ProxyConfig, procs: number): Prepared {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-perf-caddy-'));
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, caddyfile(cfg));
  return {
    argv: ['run', '--config', file, '--adapter', 'caddyfile'],
    env: { GOMAXPROCS: String(procs), XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
