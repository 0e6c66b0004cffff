/**
 * `swarmlet swarm inspect|update|unlock|unlock-key`, as `docker swarm …` on a manager: the swarm
 * object's settings and autolock (the manager's keys at rest wrapped with the unlock key; a restarted
 * manager stays locked until `swarm unlock`).
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { parseDuration } from '../../lib/model/durations.js';
import type { CliContext } from '../context.js';
import { cliError } from '../errors.js';

/** What Docker prints with an unlock key (docker/cli command/swarm/unlock_key.go). */
function printUnlockKey(ctx: CliContext, key: string): void {
  ctx.out('To unlock a swarm manager after it restarts, run the `swarmlet swarm unlock`');
  ctx.out('command (or `docker swarm unlock`) and provide the following key:\n');
  ctx.out(`    ${key}\n`);
  ctx.out('Please remember to store this key in a password manager, since without it you');
  ctx.out('will not be able to restart the manager.');
}

/** The first line of standard input (a prompt on stderr when it is a terminal). */
async function readKey(ctx: CliContext): Promise<string> {
  const input = ctx.io.stdin ?? process.stdin;
  if (ctx.isTTY) ctx.io.stderr.write('Enter unlock key: ');
  const rl = createInterface({ input, terminal: false });
  try {
    for await (const line of rl) return line.trim();
    return '';
  } finally {
    rl.close();
  }
}

function parseBool(v: string, flag: string): boolean {
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw cliError(`invalid --${flag} "${v}": expected true or false`, flag);
}

interface UpdateFlags { autolock?: string; taskHistoryLimit?: string; dispatcherHeartbeat?: string; certExpiry?: string }

export function registerSwarm(program: Command, ctx: CliContext): void {
  const swarm = program.command('swarm').description('Manage the swarm: settings, autolock');

  swarm.command('inspect').description('Show the swarm object (JSON)')
    .action(ctx.run(async () => { ctx.out(JSON.stringify(await ctx.client().swarm.inspect(), null, 2)); }));

  swarm.command('update').description('Change the swarm\'s settings (kept across manager restarts)')
    .option('--autolock <bool>', 'wrap the manager\'s keys at rest with an unlock key: a restarted manager stays locked until `swarm unlock`')
    .option('--task-history-limit <n>', 'task history kept per slot')
    .option('--dispatcher-heartbeat <duration>', 'node heartbeat period (a node silent for 3 periods is down)')
    .option('--cert-expiry <duration>', 'node certificate expiry (shown; swarmlet nodes use credentials)')
    .addHelpText('after', '\nExamples:\n  $ swarmlet swarm update --autolock=true\n  $ swarmlet swarm update --dispatcher-heartbeat 10s --task-history-limit 3')
    .action(ctx.run(async (o: UpdateFlags) => {
      const c = ctx.client();
      const s = await c.swarm.inspect();
      const spec = structuredClone(s.Spec) as Record<string, any>;
      if (o.taskHistoryLimit !== undefined) {
        const n = Number(o.taskHistoryLimit);
        if (!Number.isInteger(n) || n < 0) throw cliError(`invalid --task-history-limit "${o.taskHistoryLimit}": expected a non-negative integer`, 'task-history-limit');
        spec.Orchestration = { ...spec.Orchestration, TaskHistoryRetentionLimit: n };
      }
      if (o.dispatcherHeartbeat !== undefined) spec.Dispatcher = { ...spec.Dispatcher, HeartbeatPeriod: parseDuration(o.dispatcherHeartbeat, 'dispatcher-heartbeat') };
      if (o.certExpiry !== undefined) spec.CAConfig = { ...spec.CAConfig, NodeCertExpiry: parseDuration(o.certExpiry, 'cert-expiry') };
      const autolock = o.autolock === undefined ? undefined : parseBool(o.autolock, 'autolock');
      if (autolock !== undefined) spec.EncryptionConfig = { ...spec.EncryptionConfig, AutoLockManagers: autolock };
      await c.swarm.update(s.Version.Index, spec);
      ctx.out('Swarm updated.');
      if (autolock === true) printUnlockKey(ctx, await c.swarm.unlockKey());
    }));

  swarm.command('unlock-key').description('Print (or rotate) the unlock key of an autolocked swarm')
    .option('--rotate', 'replace the unlock key: the old one no longer unlocks a restarted manager')
    .option('-q, --quiet', 'only print the key')
    .action(ctx.run(async (o: { rotate?: boolean; quiet?: boolean }) => {
      const c = ctx.client();
      if (o.rotate) {
        const s = await c.swarm.inspect();
        if (!(s.Spec.EncryptionConfig as { AutoLockManagers?: boolean } | undefined)?.AutoLockManagers) throw new Error('cannot rotate because autolock is not turned on');
        await c.swarm.update(s.Version.Index, s.Spec, { rotateManagerUnlockKey: true });
        if (!o.quiet) ctx.out('Successfully rotated manager unlock key.\n');
      }
      const key = await c.swarm.unlockKey();
      if (key === '') throw new Error('no unlock key is set: turn autolock on with `swarmlet swarm update --autolock=true`');
      if (o.quiet) ctx.out(key);
      else printUnlockKey(ctx, key);
    }));

  swarm.command('unlock').description('Unlock a manager that restarted locked (autolock); reads the key from standard input')
    .addHelpText('after', '\nExamples:\n  $ swarmlet swarm unlock\n  Enter unlock key: SWMKEY-1-…\n  $ swarmlet swarm unlock < unlock-key.txt')
    .action(ctx.run(async () => {
      const c = ctx.client();
      const info = await c.info();
      const state = (info as { Swarm?: { LocalNodeState?: string } }).Swarm?.LocalNodeState;
      if (state === 'inactive') throw new Error('This node is not part of a swarm');
      if (state !== 'locked') throw new Error('swarm is not locked');
      const key = await readKey(ctx);
      if (key === '') throw cliError('unlock key is empty: give it on standard input', 'key');
      await c.swarm.unlock(key);
      ctx.out('Swarm unlocked.');
    }));
}
