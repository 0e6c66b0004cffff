import { sleep, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { NodeReport } from '../protocol/node-report.js';
import type { AgentLink } from './agent-link.js';
import { describeHost } from './host-description.js';
import type { TaskDriver } from './task-driver.js';

export interface ReportDescriptionOptions {
  driver: TaskDriver;
  link: AgentLink;
  nodeId: string;
  clock: Clock;
  logger: Logger;
  /** What the node is (platform, resources, engine); default: this machine, read each time. */
  host?: (driver: string) => NodeReport;
  /** How often the description and the driver's image list are read again (default 5 s). */
  intervalMs?: number;
  signal: AbortSignal;
}

/**
 * Keeps the manager told what the node is and has: its platform, resources and engine (this
 * machine's, not the manager's), its driver and the images the driver has (docker: the engine's
 * images, which users add with `docker load`/`docker import` at any time). Reported at start; for
 * drivers that list images, read again every interval and reported whenever anything changed.
 */
export async function reportDescription(o: ReportDescriptionOptions): Promise<void> {
  const { driver, link } = o;
  if (!link.describe) return;
  const host = o.host ?? describeHost;
  if (!driver.listImages) {
    link.describe(o.nodeId, { ...host(driver.name), Driver: driver.name });
    return;
  }
  let last: string | undefined;
  while (!o.signal.aborted) {
    try {
      const images = [...new Set(await driver.listImages())].sort(); // sorted: the same list compares equal
      const report: NodeReport = { ...host(driver.name), Driver: driver.name, Images: images };
      const key = JSON.stringify(report);
      if (key !== last && !o.signal.aborted) {
        link.describe(o.nodeId, report);
        last = key;
      }
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'could not list the driver\'s images');
    }
    await sleep(o.clock, o.intervalMs ?? 5000, o.signal);
  }
}
