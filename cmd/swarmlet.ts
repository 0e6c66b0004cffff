/**
 * The `swarmlet` CLI entry: builds the commander program from the command modules and runs it.
 * This is the only place that calls process.exit (at the very end, after output is flushed).
 */
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { Command } from 'commander';
import { commandModules } from './commands/index.js';
import { createContext, type CliIo } from './context.js';
import { describeError, exitCodeOf } from './errors.js';
import { CLI_VERSION } from './version.js';

export type { CliIo } from './context.js';
export { commandModules, type CommandModule } from './commands/index.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('swarmlet');
  program
    .description('A Docker-Swarm-style orchestrator for Node.js')
    .version(CLI_VERSION, '-v, --version', 'Print the client version')
    .option('-H, --host <url>', 'manager address: http://HOST:PORT, https://HOST:PORT, tcp://HOST:PORT or HOST:PORT (env SWARMLET_HOST; default http://127.0.0.1:2377)')
    .option('--tlsverify', 'use TLS and verify the manager\'s certificate: tcp:// and bare hosts become https (env SWARMLET_TLS_VERIFY=1)')
    .option('--tlscacert <file>', 'trust the manager certificates signed by this CA (PEM); implies --tlsverify (env SWARMLET_TLSCACERT)')
    .option('--token <token>', 'the manager\'s client token, needed when it serves TLS (env SWARMLET_TOKEN; see `swarmlet client-token`)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { io.stdout.write(s); },
      writeErr: (s) => { io.stderr.write(s); },
      // commander prints `error: unknown option …`; every other error of the CLI reads `Error: …`.
      outputError: (s, write) => write(s.replace(/^error: /, 'Error: ')),
    })
    .showSuggestionAfterError(true);
  const ctx = createContext(program, io);
  for (const register of commandModules) register(program, ctx);
  return program;
}

/** Runs the CLI on argv (node-style: argv[0] node, argv[1] script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const { code, print } = exitCodeOf(e);
    if (print) io.stderr.write(`${describeError(e)}\n`);
    return code;
  }
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  // `swarmlet service logs web | head`: a closed pipe ends the command quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
  }
  const code = await runCli(argv, {
    stdout: process.stdout, stderr: process.stderr, env: process.env, isTTY: process.stdout.isTTY === true, signal: abort.signal,
  });
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return import.meta.url === pathToFileURL(script).href;
  }
}

if (isEntry()) void main();
