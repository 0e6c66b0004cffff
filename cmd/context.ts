/** What every command gets: its output streams, a lazily created API client, time and Ctrl-C. */
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createClient, type EngineClient } from '../lib/client/client.js';
import { normalizeHost } from '../lib/client/host.js';
import type { ClientTlsOptions } from '../lib/client/tls-dispatcher.js';
import { cliError } from './errors.js';

/** How to reach the manager: the global `-H`, `--tlsverify`, `--tlscacert`, `--token` (and their env). */
export interface Connection {
  /** The normalised origin (https with TLS). */
  host: string;
  tls?: ClientTlsOptions;
  /** The client token (`--token` or SWARMLET_TOKEN). */
  token?: string;
}

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Standard input (`secret create NAME -`); default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Aborted on Ctrl-C (main wires SIGINT); waits and `logs -f` stop cleanly. */
  signal?: AbortSignal;
  /** Wall clock (tests may pin it). */
  now?: () => number;
}

export interface CliContext {
  readonly io: CliIo;
  readonly isTTY: boolean;
  readonly signal: AbortSignal;
  /** One line to stdout. */
  out(line: string): void;
  /** One line to stderr. */
  err(line: string): void;
  /** Raw text to stdout (progress redraws). */
  write(text: string): void;
  now(): number;
  /** The API client for `--host` / SWARMLET_HOST (created on first use). */
  client(): EngineClient;
  /** The manager address in use. */
  host(): string | undefined;
  /** Host, TLS trust and client token from the global flags and env (reads the CA file). */
  connection(): Connection;
  /** The global `--token` flag as given on the command line (not SWARMLET_TOKEN). */
  flagToken(): string | undefined;
  /** Wraps a command action: closes the client afterwards. */
  run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
}

export function createContext(program: Command, io: CliIo): CliContext {
  let client: EngineClient | undefined;
  const host = () => (program.opts().host as string | undefined) ?? (io.env.SWARMLET_HOST || undefined);
  const connection = () => connectionOf(program.opts(), io.env, host());
  const close = async () => {
    const c = client;
    client = undefined;
    await c?.close().catch(() => {});
  };
  return {
    io,
    isTTY: io.isTTY,
    signal: io.signal ?? new AbortController().signal,
    out: (line) => { io.stdout.write(`${line}\n`); },
    err: (line) => { io.stderr.write(`${line}\n`); },
    write: (text) => { io.stdout.write(text); },
    now: io.now ?? (() => Date.now()),
    client: () => (client ??= createClient(connection())),
    host,
    connection,
    flagToken: () => program.opts().token as string | undefined,
    run: (fn) => async (...args) => {
      try {
        await fn(...args);
      } finally {
        await close();
      }
    },
  };
}

interface GlobalFlags { tlscacert?: string; tlsverify?: boolean; token?: string }

function connectionOf(flags: GlobalFlags, env: NodeJS.ProcessEnv, host: string | undefined): Connection {
  const caFile = flags.tlscacert ?? (env.SWARMLET_TLSCACERT || undefined);
  const verify = flags.tlsverify === true || (env.SWARMLET_TLS_VERIFY ?? '') === '1' || caFile !== undefined;
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw cliError(`cannot read --tlscacert ${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'tlscacert');
    }
  }
  const token = flags.token ?? (env.SWARMLET_TOKEN || undefined);
  return {
    host: normalizeHost(host, { tls: verify }),
    ...(verify ? { tls: ca !== undefined ? { ca } : {} } : {}),
    ...(token ? { token } : {}),
  };
}
