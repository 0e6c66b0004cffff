/** `swarmlet manager`, `swarmlet node join` and `swarmlet join-token`: a cluster of separate processes. */
import type { Command } from 'commander';
import pino from 'pino';
import { request } from 'undici';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { runNode } from '../../lib/node/run-node.js';
import { parseDuration } from '../../lib/model/durations.js';
import type { CliContext } from '../context.js';
import { waitForStop } from '../wait-for-stop.js';
import { normalizeHost } from '../../lib/client/host.js';
import { collect } from '../options.js';

const STATE = join(homedir(), '.local', 'state', 'swarmlet');

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}

export function registerManager(program: Command, ctx: CliContext): void {
  program.command('manager').description('Run the control plane: store, scheduler, orchestrators, update engine, the API; nodes join with `swarmlet node join`')
    .option('--listen <host:port>', 'address of the management API (loopback only: it has no authentication)', '127.0.0.1:2377')
    .option('--data <dir>', 'state directory (survives restarts)', join(STATE, 'manager'))
    .option('--dispatcher-heartbeat <duration>', 'node heartbeat period; a node silent for 3 periods is down', '5s')
    .option('--log-level <level>', 'fatal|error|warn|info|debug (JSON lines on stderr)', 'warn')
    .addHelpText('after', '\nExamples:\n  $ swarmlet manager --listen 127.0.0.1:2377 --data /var/lib/swarmlet\n  $ swarmlet join-token worker')
    .action(async (o: { listen: string; data: string; dispatcherHeartbeat: string; logLevel: string }) => {
      const host = o.listen.replace(/:\d+$/, '');
      if (!isLoopback(host)) {
        throw new Error(`refusing to serve the management API on ${host}: it has no TLS or client authentication yet; listen on a loopback address`);
      }
      const heartbeatMs = parseDuration(o.dispatcherHeartbeat, 'dispatcher-heartbeat') / 1e6;
      if (heartbeatMs < 100) throw new Error('invalid --dispatcher-heartbeat: must be at least 100ms');
      const logger = pino({ level: o.logLevel }, pino.destination(2));
      const cluster = await createCluster({ nodes: 0, dataDir: o.data, listen: o.listen, gateway: false, logger, dispatcher: { heartbeatMs } });
      ctx.out(`swarmlet manager: API at ${cluster.url} (data in ${cluster.dataDir}, heartbeat ${o.dispatcherHeartbeat})`);
      ctx.out(`join nodes with: swarmlet join-token worker --host ${cluster.url}`);
      const stop = waitForStop(ctx.signal);
      await stop.promise;
      stop.dispose();
      await cluster.close();
      ctx.out('swarmlet manager stopped');
    });
}

export function registerJoinToken(program: Command, ctx: CliContext): void {
  program.command('join-token').description('Print the command that joins a node (worker or manager)')
    .argument('<role>', 'worker or manager')
    .option('--rotate', 'replace the token: the old one stops working at once (joined nodes keep working)')
    .option('-q, --quiet', 'only print the token')
    .action(ctx.run(async (role: string, o: { rotate?: boolean; quiet?: boolean }) => {
      if (role !== 'worker' && role !== 'manager') throw new Error(`unknown role "${role}": worker or manager`);
      const url = normalizeHost(ctx.host());
      const res = await request(`${url}/swarmlet/v1/join-token/${role}${o.rotate ? '?rotate=1' : ''}`);
      const body = await res.body.json() as { Token: string; Command: string; message?: string };
      if (res.statusCode !== 200) throw new Error(body.message ?? `HTTP ${res.statusCode}`);
      if (o.quiet) { ctx.out(body.Token); return; }
      if (o.rotate) ctx.out(`Successfully rotated ${role} join token.\n`);
      ctx.out(`To add a ${role} to this swarm, run the following command:\n\n    ${body.Command}\n`);
    }));
}

export function registerNodeJoin(node: Command, ctx: CliContext): void {
  node.command('join').description('Run this machine\'s node: join the manager (once), then run its tasks and its gateway')
    .requiredOption('--address <ip>', 'the node\'s address: tasks and published ports listen here')
    .requiredOption('--hostname <name>', 'the node\'s name')
    .option('--manager <url>', 'the manager API (default: --host, $SWARMLET_HOST or http://127.0.0.1:2377)')
    .option('--token <token>', 'join token (first join only; see `swarmlet join-token worker`)')
    .option('--label <k=v>', 'node label (repeatable)', collect)
    .option('--driver <driver>', 'task driver (process)', 'process')
    .option('--state <dir>', 'the node\'s state directory (identity, task logs)')
    .option('--metrics-port <port|off>', 'gateway /metrics port on the node address', '9323')
    .option('--no-gateway', 'run no gateway on this node')
    .option('--log-level <level>', 'fatal|error|warn|info|debug (JSON lines on stderr)', 'warn')
    .action(async (o: { address: string; hostname: string; manager?: string; token?: string; label?: string[]; driver: string; state?: string; metricsPort: string; gateway: boolean; logLevel: string }) => {
      if (o.driver !== 'process') throw new Error(`unknown --driver "${o.driver}": only process is available`);
      const manager = normalizeHost(o.manager ?? ctx.host());
      const labels = Object.fromEntries((o.label ?? []).map((kv) => { const i = kv.indexOf('='); return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]; }));
      const logger = pino({ level: o.logLevel }, pino.destination(2));
      const node = await runNode({
        manager, address: o.address, hostname: o.hostname, labels,
        stateDir: o.state ?? join(STATE, 'nodes', o.hostname), logger, noGateway: !o.gateway,
        metricsPort: o.metricsPort === 'off' ? false : Number(o.metricsPort),
        ...(o.token ? { token: o.token } : {}),
      });
      ctx.out(`node ${o.hostname} (${node.nodeId}) joined ${manager}; running its tasks at ${o.address}`);
      const stop = waitForStop(ctx.signal);
      await stop.promise;
      stop.dispose();
      await node.close();
      ctx.out(`node ${o.hostname} stopped`);
    });
}

export function registerNodeRm(node: Command, ctx: CliContext): void {
  node.command('rm').alias('remove').description('Remove one or more nodes from the swarm (only nodes that are down, unless --force)')
    .argument('<node...>', 'node IDs or hostnames')
    .option('-f, --force', 'force-remove a node that is not down')
    .action(ctx.run(async (refs: string[], o: { force?: boolean }) => {
      const url = normalizeHost(ctx.host());
      let failed = false;
      for (const ref of refs) {
        const res = await request(`${url}/nodes/${encodeURIComponent(ref)}${o.force ? '?force=1' : ''}`, { method: 'DELETE' });
        const text = await res.body.text();
        if (res.statusCode === 200) { ctx.out(ref); continue; }
        failed = true;
        let message = text;
        try { message = (JSON.parse(text) as { message: string }).message; } catch { /* plain text */ }
        ctx.err(`Error response from daemon: ${message}`);
      }
      if (failed) process.exitCode = 1;
    }));
}
