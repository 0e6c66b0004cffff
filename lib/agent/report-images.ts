import { sleep, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { AgentLink } from './agent-link.js';
import type { TaskDriver } from './task-driver.js';

export interface ReportImagesOptions {
  driver: TaskDriver;
  link: AgentLink;
  nodeId: string;
  clock: Clock;
  logger: Logger;
  /** How often the driver's image list is read again (default 5 s). */
  intervalMs?: number;
  signal: AbortSignal;
}

/**
 * Keeps the manager told which images the node's driver has (docker: the engine's images, which
 * users add with `docker load`/`docker import` at any time): reads them now and every interval,
 * and reports the list whenever it changed. A no-op for drivers without `listImages`.
 */
export async function reportImages(o: ReportImagesOptions): Promise<void> {
  const { driver, link } = o;
  if (!link.describe) return;
  if (!driver.listImages) {
    link.describe(o.nodeId, { Driver: driver.name });
    return;
  }
  let last: string | undefined;
  while (!o.signal.aborted) {
    try {
      const images = [...new Set(await driver.listImages())].sort(); // sorted: the same list compares equal
      const key = images.join('\n');
      if (key !== last && !o.signal.aborted) {
        link.describe(o.nodeId, { Driver: driver.name, Images: images });
        last = key;
      }
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'could not list the driver\'s images');
    }
    await sleep(o.clock, o.intervalMs ?? 5000, o.signal);
  }
}
