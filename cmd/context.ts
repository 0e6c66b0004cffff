/** What every command gets: its output streams, a lazily created API client, time and Ctrl-C. */
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { createClient, type SwarmletClient } from '../lib/client/client.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
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
  client(): SwarmletClient;
  /** The manager address in use. */
  host(): string | undefined;
  /** Wraps a command action: closes the client afterwards. */
  run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
}

export function createContext(program: Command, io: CliIo): CliContext {
  let client: SwarmletClient | undefined;
  const host = () => (program.opts().host as string | undefined) ?? (io.env.SWARMLET_HOST || undefined);
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
    client: () => (client ??= createClient({ host: host() })),
    host,
    run: (fn) => async (...args) => {
      try {
        await fn(...args);
      } finally {
        await close();
      }
    },
  };
}
