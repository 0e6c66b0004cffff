import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { createCluster, type Cluster } from '../../lib/cluster/create-cluster.js';
import type { CliContext } from '../context.js';
import { onSecondStop, waitForStop } from '../wait-for-stop.js';
import { parseMaxReplicas } from '../max-replicas.js';
import { driverChoice } from '../driver-flags.js';
import { addAddrPoolFlags, addrPoolOptions } from '../addr-pool-flags.js';
import { assertListenAllowed } from '../../lib/api/listen-security.js';

export interface UpOptions {
  nodes: string;
  gateway?: boolean;
  metricsPort?: string;
  data?: string;
  listen: string;
  demo?: boolean;
  logLevel: string;
  driver?: string;
  dockerHost?: string;
  maxReplicas?: string;
  autolock?: boolean;
  defaultAddrPool?: string[];
  defaultAddrPoolMaskLength?: string;
}

export const DEFAULT_DATA_DIR = join(homedir(), '.local', 'state', 'swarmlet', 'up');

const DEMO = { name: 'whoami', image: 'whoami', replicas: 3, publish: ['9000:8080'] };

/** `swarmlet up`: a manager and N node agents in this process, until Ctrl-C. */
export function registerUp(program: Command, ctx: CliContext): void {
  const up = program
    .command('up')
    .description('Start a local cluster in the foreground: a manager (Engine API) and N nodes at 127.0.0.1..N')
    .option('--nodes <n>', 'number of nodes (node-K listens on 127.0.0.K)', '3')
    .option('--data <dir>', 'state directory (services, nodes, images and task logs survive restarts)', DEFAULT_DATA_DIR)
    .option('--listen <host:port>', 'address of the manager API', '127.0.0.1:2377')
    .option('--demo', 'also create the demo service: whoami, 3 replicas, port 9000 (process driver)')
    .option('--driver <driver>', 'task driver of every node: process (child processes) or docker (containers)', 'process')
    .option('--docker-host <url>', 'the Docker engine for --driver docker (default: $DOCKER_HOST or unix:///var/run/docker.sock)')
    .option('--no-gateway', 'run no gateway (published ports are not served)')
    .option('--metrics-port <port|off>', 'port of each gateway\'s /metrics on its node address', '9323')
    .option('--log-level <level>', 'fatal|error|warn|info|debug (JSON lines on stderr)', 'warn')
    .option('--max-replicas <n>', 'most replicas one service may ask for (a guard rail against a mistyped count)', '100000')
    .option('--autolock', 'turn autolock on: the keys at rest are wrapped with an unlock key (printed); a restart stays locked until `swarmlet swarm unlock`');
  addAddrPoolFlags(up)
    .addHelpText('after', `
Examples:
  swarmlet up                       # 3 nodes, API on 127.0.0.1:2377
  swarmlet up --nodes 5 --data /tmp/sw --demo
  swarmlet up --listen 127.0.0.1:2378 --metrics-port off --no-gateway   # beside another cluster
  swarmlet up --nodes 2 --driver docker   # tasks are containers on the local Docker engine
  swarmlet up --default-addr-pool 127.88.0.0/16 --default-addr-pool-mask-length 24   # networks' VIPs from 127.88.N.0/24
  SWARMLET_HOST=http://127.0.0.1:2377 swarmlet service ls   # in another terminal`)
    .action(async (opts: UpOptions) => { await runUp(opts, ctx); });
}

export async function runUp(opts: UpOptions, ctx: CliContext): Promise<void> {
  const nodes = Number(opts.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 254) throw new Error(`invalid --nodes "${opts.nodes}": expected an integer from 1 to 254`);
  const logger = pino({ level: opts.logLevel }, pino.destination(2));
  const gateway = opts.gateway === false ? false : { adminPort: parseMetricsPort(opts.metricsPort ?? '9323'), logLevel: opts.logLevel };
  assertListenAllowed(opts.listen.replace(/^(?:tcp|https?):\/\//, '').replace(/:\d+$/, ''), undefined,
    { tls: '--tls-cert FILE and --tls-key FILE to `swarmlet manager` (`swarmlet up` serves loopback only)' });
  const driver = driverChoice(opts.driver ?? 'process', opts.dockerHost);
  if (opts.demo && driver.kind !== 'process') throw new Error('--demo runs the built-in whoami image, which needs --driver process');
  const maxReplicas = parseMaxReplicas(opts.maxReplicas ?? '100000');
  const addrPool = addrPoolOptions(opts);
  // The dispatcher is on, as with `swarmlet manager`: more nodes join with `swarmlet node join`.
  const cluster = await createCluster({ nodes, dataDir: opts.data ?? DEFAULT_DATA_DIR, listen: opts.listen, logger, gateway, driver, dispatcher: {}, maxReplicas, ...addrPool, ...(opts.autolock ? { autolock: true } : {}) });
  const stop = waitForStop(ctx.signal);
  try {
    ctx.out(`swarmlet is up: manager API at ${cluster.url} (data in ${cluster.dataDir})`);
    for (const n of await cluster.nodes()) ctx.out(`  ${n.Description.Hostname}  ${n.Status.Addr}  ${n.ID}`);
    ctx.out(`dashboard: ${cluster.url}/ui`);
    if (cluster.isLocked()) printLocked(ctx, cluster.url!);
    else if (opts.autolock) printAutolock(ctx, cluster.unlockKey());
    if (opts.demo && !cluster.isLocked()) await startDemo(cluster, ctx, stop.promise);
    ctx.out(`more nodes join with: npx swarmlet join-token worker --host ${cluster.url}`);
    ctx.out(`Try: SWARMLET_HOST=${cluster.url} npx swarmlet service ls    (Ctrl-C stops the cluster)`);
    await stop.promise;
    ctx.out('stopping: shutting down every task… (Ctrl-C again to kill them at once)');
  } finally {
    stop.dispose();
    const force = onSecondStop(() => {
      ctx.out('second interrupt: killing every task now, without grace periods');
      void cluster.kill();
    });
    try { await cluster.close(); } finally { force.dispose(); }
  }
  ctx.out('swarmlet stopped');
}

/** A manager that restarted with autolock on: what it does and how to unlock it. */
export function printLocked(ctx: CliContext, url: string): void {
  ctx.out('the swarm is locked (autolock is on): no task starts or stops and the API answers "Swarm is encrypted and needs to be unlocked" until it is unlocked with the unlock key:');
  ctx.out(`  npx swarmlet swarm unlock --host ${url}      (or: DOCKER_HOST=${url.replace(/^http:/, 'tcp:')} docker swarm unlock)`);
}

/** Autolock turned on at start: the key to keep. */
export function printAutolock(ctx: CliContext, key: string): void {
  ctx.out('autolock is on: a restarted manager stays locked until `swarmlet swarm unlock` is given this key (keep it in a password manager):');
  ctx.out(`    ${key}`);
}

function parseMetricsPort(v: string): number | false {
  if (v === 'off') return false;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid --metrics-port "${v}": expected a port 1-65535 or off`);
  return n;
}

async function startDemo(cluster: Cluster, ctx: CliContext, stopped: Promise<void>): Promise<void> {
  const existing = (await cluster.services()).find((s) => s.Spec.Name === DEMO.name);
  if (!existing) {
    const s = await cluster.createService(DEMO);
    ctx.out(`demo: created service ${DEMO.name} (${s.ID}): ${DEMO.replicas} replicas of ${DEMO.image}, published port 9000`);
  } else ctx.out(`demo: service ${DEMO.name} already exists (${existing.ID})`);
  const converged = cluster.waitForConvergence(DEMO.name, { timeoutMs: 60_000 }).then(() => true);
  if (await Promise.race([converged, stopped.then(() => false)])) {
    for (const t of await cluster.tasks({ service: [DEMO.name], 'desired-state': ['running'] })) {
      ctx.out(`demo: ${DEMO.name}.${t.Slot} ${t.ID.slice(0, 12)} running at http://${t.Endpoint?.Addr}:${t.Endpoint?.Port}`);
    }
  }
}
