/**
 * The entry point of one worker process of a multi-process gateway (forked by
 * createGatewayWorkers through node:cluster; not for direct use). It runs a gateway whose
 * listeners share the primary's sockets, follows its own endpoint source, reports each routed
 * table to the primary and answers its metrics requests. It closes gracefully when the primary
 * says so, goes away, or on SIGTERM; SIGINT (a terminal's Ctrl-C reaches the whole process group)
 * is left to the primary, which drains every worker.
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
  const gw: Gateway = createGateway({
    ...cfg.gateway, logger, admin: false, sharedListeners: true,
    source: sourceFromSpec(cfg.source, cfg.gateway.id, logger),
    onRouted: (version, ports) => send({ swarmlet: 'routed', version, ports }),
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
  send({ swarmlet: 'started' });
}

main().catch((err: unknown) => {
  send({ swarmlet: 'failed', message: (err as Error).message });
  process.exitCode = 1;
  setImmediate(() => process.exit(1));
});
