/**
 * nginx (the Debian package) as a reference proxy: round-robin upstream with keepalive, its own
 * temporary prefix and config on loopback, `daemon off` so this process owns it. When nginx is
 * missing it is installed with apt-get, only when running as root; otherwise it is skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyConfig } from './proxy-config.js';

export type NginxFound = { path: string; installed: boolean } | { path: undefined; reason: string };

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin'])) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function runningPid(file: string): number | undefined {
  try { const pid = Number(readFileSync(file, 'utf8').trim()); return pid > 0 ? pid : undefined; } catch { return undefined; }
}

/** nginx's path, installing the Debian package first when missing and allowed. */
export function findOrInstallNginx(log: (line: string) => void): NginxFound {
  const found = which('nginx');
  if (found) return { path: found, installed: false };
  if (process.getuid?.() !== 0) return { path: undefined, reason: 'nginx is not installed and this is not root (apt-get install -y nginx needs root): nginx skipped' };
  if (!which('apt-get')) return { path: undefined, reason: 'nginx is not installed and there is no apt-get: nginx skipped' };
  const systemPid = runningPid('/run/nginx.pid');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx'], { env, encoding: 'utf8', timeout: 300_000 });
  log('nginx not found: apt-get install -y nginx');
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8', timeout: 300_000 });
    r = install();
  }
  // Where nothing stops package scripts from starting services, the package starts a system
  // nginx on port 80: that one was started by this install, so stop it again.
  const started = runningPid('/run/nginx.pid');
  if (started !== undefined && started !== systemPid) { try { process.kill(started, 'SIGQUIT'); } catch { /* already gone */ } }
  const path = which('nginx');
  if (path) return { path, installed: true };
  return { path: undefined, reason: `apt-get install -y nginx failed (${(r.stderr ?? '').trim().split('\n').pop() ?? r.status}): nginx skipped` };
}

/** The nginx.conf for a prefix directory: `workers` worker processes, round-robin with keepalive. */
export function nginxConfig(cfg: ProxyConfig, workers: number, dir: string): string {
  const servers = cfg.backends.map((b) => `    server ${b.addr}:${b.port};`).join('\n');
  return `worker_processes ${workers};
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  upstream backends {
${servers}
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen ${cfg.listen.addr}:${cfg.listen.port};
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
}

/** A fresh prefix directory with the config written; `argv` runs nginx in the foreground on it. */
export function prepareNginx(cfg: ProxyConfig, workers: number): { dir: string; argv: string[]; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-perf-nginx-'));
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(cfg, workers, dir));
  return {
    dir,
    argv: ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
