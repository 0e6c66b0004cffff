import { invalid } from '../errors.js';

/**
 * `--store etcd://HOST:PORT[,HOST:PORT…]` → the etcd client URLs (http://, or https:// when TLS
 * options are given). Anything else names the flag in a clear error.
 */
export function parseStoreUrl(value: string, opts: { tls: boolean }): { kind: 'etcd'; endpoints: string[] } {
  const m = /^etcd:\/\/(.+)$/.exec(value.trim());
  if (!m) throw invalid(`invalid --store "${value}": expected etcd://HOST:PORT[,HOST:PORT…]`, 'store');
  const endpoints = m[1]!.split(',').map((hp) => hp.trim()).filter((hp) => hp !== '').map((hp) => {
    if (!/^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(hp) || Number(hp.slice(hp.lastIndexOf(':') + 1)) > 65535) {
      throw invalid(`invalid --store "${value}": "${hp}" is not HOST:PORT`, 'store');
    }
    return `${opts.tls ? 'https' : 'http'}://${hp}`;
  });
  if (endpoints.length === 0) throw invalid(`invalid --store "${value}": no etcd endpoint`, 'store');
  return { kind: 'etcd', endpoints };
}

/** `--etcd-prefix`: an absolute key prefix without a trailing slash. */
export function parseEtcdPrefix(value: string): string {
  if (!/^\/[A-Za-z0-9._\-/]*$/.test(value) || value.includes('//')) throw invalid(`invalid --etcd-prefix "${value}": expected an absolute key prefix like /swarmlet`, 'etcd-prefix');
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

/** A comma-separated list of manager URLs (`--manager URL,URL,URL`), each normalised by `normalize`. */
export function parseManagerList(value: string, normalize: (url: string) => string): string[] {
  const list = value.split(',').map((u) => u.trim()).filter((u) => u !== '').map(normalize);
  if (list.length === 0) throw invalid(`invalid --manager "${value}": expected URL[,URL…]`, 'manager');
  return [...new Set(list)];
}
