import { invalid } from '../errors.js';
import { normalizeImageName } from '../model/image-ref.js';
import type { Node } from '../model/types.js';
import type { ReadTx } from '../store/store.js';
import { findImage } from './image-catalog.js';

/** Drivers whose images live on the node (an engine's images), not in swarmlet's catalog. */
const NODE_IMAGE_DRIVERS: ReadonlySet<string> = new Set(['docker']);

export function hasNodeImages(node: Node): boolean {
  return NODE_IMAGE_DRIVERS.has(node.Description.Driver ?? 'process');
}

/** One spelling per image, as a Docker engine lists it (see normalizeImageName). */
export const canonicalImage = normalizeImageName;

/** Whether `node` can run `image`: in its engine's image list (docker) or in the catalog (process). */
export function canRunImage(tx: ReadTx, node: Node, image: string, now: number): boolean {
  if (!hasNodeImages(node)) return findImage(tx, image, now) !== undefined;
  // Images are stored canonical (describeNode): one spelling to compare, once per call.
  return (node.Description.Images ?? []).includes(canonicalImage(image));
}

/**
 * The check at `service create`/`update`: an image must exist somewhere. With docker nodes in the
 * cluster an image may appear on an engine later (`docker load` on a node), so it is accepted and
 * the scheduler leaves its tasks pending with the reason until a node has it, as Swarm does; in a
 * cluster of process-driver nodes an image missing from the catalog is refused at once.
 */
export function checkImageKnown(tx: ReadTx, image: string, now: number): void {
  if (findImage(tx, image, now)) return;
  if (tx.listNodes().some(hasNodeImages)) return;
  throw invalid(`image ${image} not found`, 'TaskTemplate.ContainerSpec.Image');
}
