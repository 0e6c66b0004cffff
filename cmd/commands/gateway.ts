import os from 'node:os';
import type { Command } from 'commander';
import pino from 'pino';
import { createGateway, type Gateway } from '../../gateway/create-gateway.js';
import { createGatewayWorkers } from '../../gateway/workers.js';
import { streamEndpointSource } from '../../lib/client/endpoint-stream-source.js';
import { createClient } from '../../lib/client/client.js';
import type { CliContext } from '../context.js';
import { waitForStop } from '../wait-for-stop.js';
import { normalizeHost } from '../../lib/client/host.js';
import { isApiError } from '../../lib/client/api-error.js';
import { parseManagerList } from '../../lib/ha/store-url.js';

interface GatewayFlags { manager?: string; node: string; admin: string; logLevel: string; workers: string }

/** `swarmlet gateway`: the routing mesh of one node, as its own process. */
export function registerGateway(program: Command, ctx: CliContext): void {
  program
    .command('gateway')
    .description('Run the gateway (routing mesh) of one node: every published port on the node address, round-robin to healthy tasks cluster-wide')
    .requiredOption('--node <node>', 'the node this gateway serves (ID or hostname); it listens on the node address')
    .option('--manager <url,…>', 'manager API (several managers of one cluster comma-separated: the gateway follows whichever answers), http:// or https:// (default: --host, $SWARMLET_HOST or http://127.0.0.1:2377); a TLS manager also needs the global --tlscacert FILE and --token (client token)')
    .option('--admin <host:port|off>', 'where /metrics and /healthz listen (default: <node address>:9323)', '')
    .option('--log-level <level>', 'fatal|error|warn|info|debug (JSON lines on stderr)', 'warn')
    .option('--workers <n|auto>', 'worker processes sharing the published ports (auto: one per core); /metrics sums them', '1')
    .addHelpText('after', `
Examples:
  swarmlet gateway --manager http://127.0.0.1:2377 --node node-2
  swarmlet gateway --node node-2 --admin 127.0.0.2:9400
  swarmlet gateway --node node-2 --workers auto
  swarmlet gateway --manager https://10.0.0.1:2377 --tlscacert ca.pem --token SWLCTK-1-… --node node-2`)
    .action(ctx.run(async (flags: GatewayFlags) => { await runGateway(flags, ctx); }));
}

async function runGateway(flags: GatewayFlags, ctx: CliContext): Promise<void> {
  const conn = ctx.connection(); // the global --tlscacert/--tlsverify and --token (client token)
  const normalize = (u: string | undefined) => normalizeHost(u, { tls: conn.tls !== undefined });
  const managers = flags.manager !== undefined ? parseManagerList(flags.manager, normalize) : [normalize(ctx.host())];
  const manager = managers.join(','); // the stream moves to the next manager when one fails
  const node = await findNode(managers, flags.node, conn);
  const addr = node.Status.Addr;
  if (!addr) throw new Error(`node ${flags.node} has no address`);
  const admin = flags.admin === 'off' ? false : parseHostPort(flags.admin || `${addr}:9323`);
  const workers = parseWorkers(flags.workers);
  const logger = pino({ level: flags.logLevel }, pino.destination(2));
  const id = `${node.ID}-gw-${process.pid}`;
  const common = { id, nodeId: node.ID, hostname: node.Description.Hostname, addr, staggerRoundRobin: true };
  const auth = { ...(conn.token ? { token: conn.token } : {}), ...(conn.tls ? { tls: conn.tls } : {}) };
  const gateway: Gateway = workers === 1
    ? createGateway({ ...common, logger, admin, source: streamEndpointSource({ manager, gatewayId: id, logger, ...auth }) })
    : createGatewayWorkers({ workers, gateway: common, source: { kind: 'stream', manager, ...auth }, admin, logger, workerLogLevel: flags.logLevel });
  await gateway.start();
  const a = gateway.adminAddress();
  ctx.out(`gateway for ${node.Description.Hostname} (${addr}) following ${manager}${workers > 1 ? ` with ${workers} workers` : ''}${a ? `; metrics at http://${a.host}:${a.port}/metrics` : ''}`);
  const stop = waitForStop(ctx.signal);
  await stop.promise;
  stop.dispose();
  ctx.out('gateway: finishing in-flight requests…');
  await gateway.close();
}

/** The node, asked of each manager in turn until one answers (a manager that answers "not found" is believed). */
async function findNode(managers: string[], ref: string, conn: ReturnType<CliContext['connection']>) {
  let lastError: unknown;
  for (const host of managers) {
    const client = createClient({ ...conn, host });
    try {
      return await client.nodes.get(ref);
    } catch (e) {
      lastError = e;
      if (isApiError(e) && e.status < 500) throw e;
    } finally {
      await client.close();
    }
  }
  throw lastError;
}

/** `--workers`: a whole number ≥ 1, or `auto` (one per core). */
export function parseWorkers(v: string): number {
  if (v === 'auto') return os.availableParallelism();
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new Error(`invalid --workers "${v}": expected a whole number ≥ 1 or auto`);
  return n;
}

function parseHostPort(v: string): { host: string; port: number } {
  const m = /^([^:]+):(\d+)$/.exec(v);
  if (!m) throw new Error(`invalid --admin "${v}": expected HOST:PORT or off`);
  return { host: m[1]!, port: Number(m[2]) };
}
