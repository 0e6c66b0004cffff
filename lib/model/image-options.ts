/**
 * The friendly input of `cluster.addImage` — the same names as `swarmlet image add`'s flags — to the
 * catalog's input: `{ name: 'redis:7', cmd: 'redis-server --save ""' }` → `{ Name, Cmd: ['redis-server', '--save', ''] }`.
 */
import { splitCommandLine } from './command-line.js';

export interface ImageOptions {
  name: string;
  /** The command line: a string split like a shell, or the argv. A service's args replace it. */
  cmd?: string | string[];
  /** Run before cmd (Docker's ENTRYPOINT). A service's entrypoint (`command`) replaces it. */
  entrypoint?: string | string[];
  cwd?: string;
  env?: string[];
}

export interface ImageInput { Name: string; Cmd?: string[]; Entrypoint?: string[]; Cwd?: string; Env?: string[] }

const argv = (v: string | string[], field: string): string[] => (typeof v === 'string' ? splitCommandLine(v, field) : v);

export function imageFromOptions(o: ImageOptions | ImageInput): ImageInput {
  if ('Name' in o) return o;
  return {
    Name: o.name,
    ...(o.cmd !== undefined ? { Cmd: argv(o.cmd, 'cmd') } : {}),
    ...(o.entrypoint !== undefined ? { Entrypoint: argv(o.entrypoint, 'entrypoint') } : {}),
    ...(o.cwd !== undefined ? { Cwd: o.cwd } : {}),
    ...(o.env !== undefined ? { Env: o.env } : {}),
  };
}
