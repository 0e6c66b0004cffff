/** `swarmlet manager`, `swarmlet node join` and `swarmlet join-token`: a cluster of separate processes. */
import { Option, type Command } from 'commander';
import pino from 'pino';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { parseMaxReplicas } from '../max-replicas.js';
import { addAddrPoolFlags, addrPoolOptions, type AddrPoolFlags } from '../addr-pool-flags.js';
import { runNode } from '../../lib/node/run-node.js';
import { driverChoice } from '../driver-flags.js';
import { parseDuration } from '../../lib/model/durations.js';
import type { CliContext } from '../context.js';
import { waitForStop } from '../wait-for-stop.js';
import { normalizeHost } from '../../lib/client/host.js';
import { collect } from '../options.js';
import { isApiError } from '../../lib/client/api-error.js';
import { assertListenAllowed, type TlsServerOptions } from '../../lib/api/listen-security.js';
import { readClientToken, SECRETS_FILE } from '../../lib/dispatcher/join-tokens.js';
import { CLIENT_TOKEN_FILE, clientTokenFileSealed, readClientTokenFile } from '../../lib/ha/client-token-file.js';
import { isSealedText } from '../../lib/secrets/manager-keys.js';
import { printAutolock, printLocked } from './up.js';
import { parseEtcdPrefix, parseManagerList, parseStoreUrl } from '../../lib/ha/store-url.js';
import { openEtcdBackend } from '../../lib/ha/etcd-backend.js';
import { systemClock } from '../../lib/clock.js';
import { checkFormat, printRows } from '../print-tasks.js';

const STATE = join(homedir(), '.local', 'state', 'swarmlet');

interface TlsFlags { tlsCert?: string; tlscert?: string; tlsKey?: string; tlskey?: string }

/** The manager's certificate and key from `--tls-cert/--tls-key` (docker's `--tlscert/--tlskey` too). */
function serverTls(o: TlsFlags): TlsServerOptions | undefined {
  const cert = o.tlsCert ?? o.tlscert;
  const key = o.tlsKey ?? o.tlskey;
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new Error('--tls-cert and --tls-key go together: pass both (PEM files)');
  const read = (file: string, flag: string) => {
    try { return readFileSync(file, 'utf8'); } catch (e) { throw new Error(`cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  };
  return { cert: read(cert, '--tls-cert'), key: read(key, '--tls-key') };
}

export function registerManager(program: Command, ctx: CliContext): void {
  const cmd = program.command('manager').description('Run the control plane: store, scheduler, orchestrators, update engine, the API; nodes join with `swarmlet node join`')
    .option('--listen <host:port>', 'address of the management API (a non-loopback address needs --tls-cert/--tls-key)', '127.0.0.1:2377')
    .option('--tls-cert <file>', 'serve the API over HTTPS with this certificate (PEM); turns on client-token auth')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .addOption(new Option('--tlscert <file>', 'alias of --tls-cert (docker\'s spelling)').hideHelp())
    .addOption(new Option('--tlskey <file>', 'alias of --tls-key (docker\'s spelling)').hideHelp())
    .option('--require-client-token', 'require the client token on manager routes over plain http too')
    .option('--data <dir>', 'state directory (survives restarts)', join(STATE, 'manager'))
    .option('--dispatcher-heartbeat <duration>', 'node heartbeat period; a node silent for 3 periods is down', '5s')
    .option('--log-level <level>', 'fatal|error|warn|info|debug (JSON lines on stderr)', 'warn')
    .option('--max-replicas <n>', 'most replicas one service may ask for (a guard rail against a mistyped count)', '100000')
    .option('--autolock', 'turn autolock on: the keys at rest are wrapped with an unlock key (printed); a restart stays locked until `swarmlet swarm unlock`')
    .option('--store <etcd://host:port,…>', 'keep the cluster state in etcd and run as one of several managers (one leads); default: the file journal in --data')
    .option('--etcd-prefix <prefix>', 'key prefix of the cluster in etcd', '/swarmlet')
    .option('--etcd-cacert <file>', 'trust this CA for etcd (https endpoints)')
    .option('--etcd-cert <file>', 'client certificate for etcd (PEM)')
    .option('--etcd-key <file>', 'its private key (PEM)')
    .option('--lease-ttl <duration>', 'leader lease with --store: a dead leader is replaced within about this long', '3s')
    .option('--data-key <file>', 'with --store: the data key every manager shares (secrets, tokens); default <data>/keys/data.key, copied to every manager');
  addAddrPoolFlags(cmd)
    .addHelpText('after', '\nExamples:\n  $ swarmlet manager --listen 127.0.0.1:2377 --data /var/lib/swarmlet\n  $ swarmlet join-token worker'
      + '\n  $ swarmlet manager --store etcd://10.0.0.5:2379,10.0.0.6:2379,10.0.0.7:2379 --listen 127.0.0.1:2377 --data /var/lib/swarmlet'
      + '\n  $ swarmlet manager --listen 10.0.0.1:2377 --tls-cert server.pem --tls-key server-key.pem --data /var/lib/swarmlet'
      + '\n  $ swarmlet client-token --data /var/lib/swarmlet')
    .action(async (o: TlsFlags & EtcdFlags & AddrPoolFlags & { listen: string; data: string; dispatcherHeartbeat: string; logLevel: string; requireClientToken?: boolean; maxReplicas: string; autolock?: boolean }) => {
      const host = o.listen.replace(/^(?:tcp|https?):\/\//, '').replace(/:\d+$/, '');
      const tls = serverTls(o);
      assertListenAllowed(host, tls, { tls: '--tls-cert FILE and --tls-key FILE' });
      const heartbeatMs = parseDuration(o.dispatcherHeartbeat, 'dispatcher-heartbeat') / 1e6;
      if (heartbeatMs < 100) throw new Error('invalid --dispatcher-heartbeat: must be at least 100ms');
      const logger = pino({ level: o.logLevel }, pino.destination(2));
      const maxReplicas = parseMaxReplicas(o.maxReplicas);
      const peerCa = ctx.connection().tls?.ca; // the global --tlscacert: the CA of the other managers' certificates
      const ha = o.store !== undefined ? { ...etcdOption(o, logger)!, ...(peerCa !== undefined ? { peerCa } : {}) } : undefined;
      const addrPool = addrPoolOptions(o);
      const cluster = await createCluster({ nodes: 0, dataDir: o.data, listen: o.listen, gateway: false, logger, dispatcher: { heartbeatMs }, maxReplicas, ...addrPool,
        ...(tls ? { tls } : {}), ...(o.requireClientToken ? { requireClientToken: true } : {}), ...(o.autolock ? { autolock: true } : {}), ...(ha ? { ha } : {}) });
      const heartbeat = cluster.heartbeatMs() === heartbeatMs ? o.dispatcherHeartbeat : `${cluster.heartbeatMs()}ms, set by swarm update`;
      ctx.out(`swarmlet manager: API at ${cluster.url} (data in ${cluster.dataDir}, heartbeat ${heartbeat})`);
      if (ha) ctx.out(`state in etcd (${o.store}, prefix ${o.etcdPrefix}); ${cluster.isLocked() ? 'locked: out of the election until unlocked' : cluster.ha?.isLeader() ? 'this manager leads' : 'following the leader'}; list the managers with: swarmlet manager ls`);
      const auth = tls !== undefined || o.requireClientToken === true;
      if (auth) ctx.out(`client token required on manager routes; print it with: swarmlet client-token --data ${cluster.dataDir}`);
      ctx.out(`join nodes with: swarmlet join-token worker --host ${cluster.url}${tls ? ' --tlscacert CA.pem' : ''}${auth ? ' --token CLIENT-TOKEN' : ''}`);
      if (cluster.isLocked()) printLocked(ctx, cluster.url!);
      else if (o.autolock) printAutolock(ctx, cluster.unlockKey());
      const stop = waitForStop(ctx.signal);
      await stop.promise;
      stop.dispose();
      await cluster.close();
      ctx.out('swarmlet manager stopped');
    });
  registerManagerLs(cmd, ctx);
}

interface EtcdFlags { store?: string; etcdPrefix: string; etcdCacert?: string; etcdCert?: string; etcdKey?: string; leaseTtl: string; dataKey?: string }

/** `--store etcd://…` and its options → createCluster's `ha`. Checked before anything starts. */
function etcdOption(o: EtcdFlags, logger: pino.Logger): NonNullable<Parameters<typeof createCluster>[0]>['ha'] {
  const read = (file: string | undefined, flag: string) => {
    if (file === undefined) return undefined;
    try { return readFileSync(file, 'utf8'); } catch (e) { throw new Error(`cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  };
  if ((o.etcdCert === undefined) !== (o.etcdKey === undefined)) throw new Error('--etcd-cert and --etcd-key go together: pass both (PEM files)');
  const tlsFiles = { ca: read(o.etcdCacert, '--etcd-cacert'), cert: read(o.etcdCert, '--etcd-cert'), key: read(o.etcdKey, '--etcd-key') };
  const useTls = Object.values(tlsFiles).some((v) => v !== undefined);
  const { endpoints } = parseStoreUrl(o.store!, { tls: useTls });
  const prefix = parseEtcdPrefix(o.etcdPrefix);
  const leaseTtlMs = parseDuration(o.leaseTtl, 'lease-ttl') / 1e6;
  if (leaseTtlMs < 1000) throw new Error('invalid --lease-ttl: must be at least 1s (etcd leases have whole seconds)');
  const tls = useTls ? Object.fromEntries(Object.entries(tlsFiles).filter(([, v]) => v !== undefined)) as { ca?: string; cert?: string; key?: string } : undefined;
  return {
    ...(o.dataKey ? { dataKeyFile: o.dataKey } : {}),
    open: (self, how) => openEtcdBackend({ endpoints, prefix, self, leaseTtlMs, ...(how?.campaign === false ? { campaign: false } : {}), clock: systemClock(), logger: logger.child({ component: 'etcd' }), ...(tls ? { tls } : {}) }),
  };
}

/** `swarmlet manager ls`: the managers of a cluster on etcd, the leader first. */
export function registerManagerLs(manager: Command, ctx: CliContext): void {
  manager.command('ls').alias('list').description('List the managers of a cluster on etcd (several managers, one leads)')
    .option('--format <format>', 'Output format: table (default), json (one object per line) or a Go template (\'{{.Addr}}\')')
    .action(ctx.run(async (flags: { format?: string }) => {
      checkFormat(flags.format);
      const list = await ctx.client().managers();
      const rows = list.sort((a, b) => Number(b.Leader) - Number(a.Leader) || a.Addr.localeCompare(b.Addr))
        .map((m) => ({ ID: m.ID, Addr: m.Addr, Leader: m.Leader, Reachable: m.Reachable, Self: m.Self,
          Status: m.Leader ? 'Leader' : m.Reachable ? 'Reachable' : 'Unreachable' }));
      printRows(ctx, flags.format, rows, {
        header: ['ID', 'ADDR', 'MANAGER STATUS'],
        cells: (r) => [`${r.ID}${r.Self ? ' *' : ''}`, r.Addr, r.Status],
        fields: ['ID', 'Addr', 'Leader', 'Reachable', 'Self', 'Status'],
      });
    }));
}

export function registerJoinToken(program: Command, ctx: CliContext): void {
  program.command('join-token').description('Print the command that joins a node (worker or manager)')
    .argument('<role>', 'worker or manager')
    .option('--rotate', 'replace the token: the old one stops working at once (joined nodes keep working)')
    .option('-q, --quiet', 'only print the token')
    .action(ctx.run(async (role: string, o: { rotate?: boolean; quiet?: boolean }) => {
      if (role !== 'worker' && role !== 'manager') throw new Error(`unknown role "${role}": worker or manager`);
      const body = await ctx.client().joinToken(role, { rotate: o.rotate === true });
      if (o.quiet) { ctx.out(body.Token); return; }
      if (o.rotate) ctx.out(`Successfully rotated ${role} join token.\n`);
      ctx.out(`To add a ${role} to this swarm, run the following command:\n\n    ${body.Command}\n`);
    }));
}

export function registerNodeJoin(node: Command, ctx: CliContext): void {
  node.command('join').description('Run this machine\'s node: join the manager (once), then run its tasks and its gateway')
    .requiredOption('--address <ip>', 'the node\'s address: tasks and published ports listen here')
    .requiredOption('--hostname <name>', 'the node\'s name')
    .option('--manager <url,…>', 'the manager API, http:// or https:// (default: --host, $SWARMLET_HOST or http://127.0.0.1:2377); several managers comma-separated (the node follows whichever answers); with https, trust its CA with the global --tlscacert FILE')
    .option('--token <token>', 'join token (first join only; see `swarmlet join-token worker`)')
    .option('--label <k=v>', 'node label (repeatable)', collect)
    .option('--driver <driver>', 'task driver: process (child processes) or docker (containers)', 'process')
    .option('--docker-host <url>', 'the Docker engine for --driver docker (default: $DOCKER_HOST or unix:///var/run/docker.sock)')
    .option('--state <dir>', 'the node\'s state directory (identity, task logs)')
    .option('--metrics-port <port|off>', 'gateway /metrics port on the node address', '9323')
    .option('--no-gateway', 'run no gateway on this node')
    .option('--log-level <level>', 'fatal|error|warn|info|debug (JSON lines on stderr)', 'warn')
    .action(async (o: { address: string; hostname: string; manager?: string; token?: string; label?: string[]; driver: string; dockerHost?: string; state?: string; metricsPort: string; gateway: boolean; logLevel: string }) => {
      const driver = driverChoice(o.driver, o.dockerHost);
      const { tls } = ctx.connection();
      const manager = o.manager !== undefined
        ? parseManagerList(o.manager, (u) => normalizeHost(u, { tls: tls !== undefined })).join(',')
        : normalizeHost(ctx.host(), { tls: tls !== undefined });
      const token = o.token ?? ctx.flagToken(); // the global --token takes the flag wherever it appears: here it is the join token
      const labels = Object.fromEntries((o.label ?? []).map((kv) => { const i = kv.indexOf('='); return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]; }));
      const logger = pino({ level: o.logLevel }, pino.destination(2));
      const node = await runNode({
        manager, address: o.address, hostname: o.hostname, labels,
        dataDir: o.state ?? join(STATE, 'nodes', o.hostname), logger,
        gateway: o.gateway && { adminPort: o.metricsPort === 'off' ? false : Number(o.metricsPort), logLevel: o.logLevel },
        ...(token ? { token } : {}), ...(tls ? { tls } : {}), driver,
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
      let failed = false;
      for (const ref of refs) {
        try {
          await ctx.client().nodes.remove(ref, { force: o.force === true });
          ctx.out(ref);
        } catch (e) {
          if (!isApiError(e)) throw e;
          failed = true;
          ctx.err(`Error response from daemon: ${e.message}`);
        }
      }
      if (failed) process.exitCode = 1;
    }));
}

/**
 * `swarmlet client-token [--rotate] [-q]`: the manager's client token (the `Authorization: Bearer`
 * token of manager routes when it serves TLS). `--data DIR` reads it from the manager's secrets file
 * on this machine (bootstrap: no token needed yet); otherwise it asks the manager (needs the current one).
 */
function secretsFileSealed(file: string): boolean {
  try { return isSealedText(readFileSync(file, 'utf8')); } catch { return false; }
}

export function registerClientToken(program: Command, ctx: CliContext): void {
  program.command('client-token').description('Print the manager\'s client token (needed on manager routes when it serves TLS)')
    .option('--rotate', 'replace the token: the old one is refused at once')
    .option('--data <dir>', 'read it from the manager\'s data directory on this machine instead of asking the manager')
    .option('-q, --quiet', 'only print the token')
    .action(ctx.run(async (o: { rotate?: boolean; data?: string; quiet?: boolean }) => {
      let token: string;
      if (o.data !== undefined) {
        if (o.rotate) throw new Error('--rotate asks the running manager: drop --data and pass the current token (--token)');
        // One manager: its secrets file; several on etcd: the copy each keeps of the shared token.
        const found = readClientToken(join(o.data, SECRETS_FILE)) ?? readClientTokenFile(join(o.data, CLIENT_TOKEN_FILE));
        const sealed = [join(o.data, SECRETS_FILE), join(o.data, CLIENT_TOKEN_FILE)].find((f, i) => (i === 0 ? secretsFileSealed(f) : clientTokenFileSealed(f)));
        if (found === undefined && sealed) {
          throw new Error(`the ${sealed.endsWith(SECRETS_FILE) ? 'secrets' : 'client token'} file ${sealed} is sealed (autolock is on): use the client token you kept, or turn autolock off (swarmlet swarm update --autolock=false)`);
        }
        if (found === undefined) throw new Error(`no client token in ${join(o.data, SECRETS_FILE)}: has a manager run with --data ${o.data}?`);
        token = found;
      } else {
        token = (await ctx.client().clientToken({ rotate: o.rotate === true })).Token;
      }
      if (o.quiet) { ctx.out(token); return; }
      if (o.rotate) ctx.out('Successfully rotated the client token.\n');
      ctx.out(`Use it with: swarmlet --token ${token} …  (or SWARMLET_TOKEN=${token}; docker: "HttpHeaders": {"Authorization": "Bearer ${token}"})`);
    }));
}
