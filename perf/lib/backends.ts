/** The three minimal backends of the proxy benchmarks (backends-server.ts), started pinned. */
import { fileURLToPath } from 'node:url';
import type { Pinning } from './pinning.js';
import { tsxCommand, type ProcessGroup, type Started } from './processes.js';
import type { ProxyConfig } from './proxy-config.js';

export const BACKEND_HOSTS = ['127.0.0.95', '127.0.0.96', '127.0.0.97'];
/** Where the proxies under test listen. */
export const PROXY_ADDR = '127.0.0.98';

/** Absolute path of a file in perf/lib. */
export function perfLib(file: string): string {
  return fileURLToPath(new URL(`./${file}`, import.meta.url));
}

export async function startBackends(group: ProcessGroup, pinning: Pinning): Promise<{ proc: Started; backends: ProxyConfig['backends'] }> {
  const c = tsxCommand(perfLib('backends-server.ts'), [BACKEND_HOSTS.join(',')]);
  const w = pinning.wrap('other', c.cmd, c.args);
  const proc = await group.start(w.cmd, w.args, { name: 'backends' });
  const ports = (JSON.parse(proc.firstLine) as { ports: number[] }).ports;
  return { proc, backends: ports.map((port, i) => ({ addr: BACKEND_HOSTS[i]!, port })) };
}
