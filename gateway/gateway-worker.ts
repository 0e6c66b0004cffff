/**
 * The entry point of a gateway child process (not for direct use): a worker of a multi-process
 * gateway (forked by createGatewayWorkers through node:cluster; its listeners share the primary's
 * sockets) or the one child of createGatewayProcess (its own listeners and admin endpoint). It
 * follows its endpoint source (its own stream, or tables from the parent), reports each routed
 * table to the parent and answers its metrics requests. It closes gracefully when the parent says
 * so, goes away (dies: the IPC channel disconnects), or on SIGTERM; SIGINT (a terminal's Ctrl-C
 * reaches the whole process group) is left to the parent, which drains every child.
 */
import process from 'node:process';
import pino from 'pino';
import { createGateway, type Gateway } from './create-gateway.js';
import { WORKER_CONFIG_ENV, sourceFromSpec, type FromWorker, type ToWorker, type WorkerConfig } from './worker-config.js';

function send(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? 'null') as WorkerConfig | null;
  if (cfg === null || process.send === undefined) throw new Error(`${WORKER_CONFIG_ENV} is not set: this file is run by createGatewayWorkers`);
  const logger = pino({ level: cfg.logLevel, base: { pid: process.pid } }, pino.destination(2));
  let routed!: () => void;
  const firstRouted = new Promise<void>((resolve) => { routed = resolve; });
  const gw: Gateway = createGateway({
    ...cfg.gateway, logger, admin: cfg.admin ?? false, sharedListeners: cfg.sharedListeners ?? true,
    source: sourceFromSpec(cfg.source, cfg.gateway.id, logger),
    onRouted: (version, ports) => { routed(); send({ swarmlet: 'routed', version, ports }); },
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= gw.close().finally(() => process.exit(0)));
  process.on('message', (m: ToWorker) => {
    if (m?.swarmlet === 'metrics') {
      gw.registry.getMetricsAsJSON().then(
        (metrics) => send({ swarmlet: 'metrics', seq: m.seq, metrics }),
        () => send({ swarmlet: 'metrics', seq: m.seq, metrics: null }),
      );
    } else if (m?.swarmlet === 'close') {
      void close();
    }
  });
  process.on('disconnect', () => void close());
  process.on('SIGTERM', () => void close());
  process.on('SIGINT', () => {}); // the primary got it too, and drains every worker
  await gw.start();
  // Fed by the parent: started once the listeners match its first table (as an in-process gateway).
  if (cfg.source.kind === 'parent') await firstRouted;
  const admin = gw.adminAddress();
  send({ swarmlet: 'started', ...(admin ? { admin } : {}) });
}

main().catch((err: unknown) => {
  send({ swarmlet: 'failed', message: (err as Error).message });
  process.exitCode = 1;
  setImmediate(() => process.exit(1));
});
