/** `service ps`-style service references: full ID, then full name, then a unique ID prefix (docker's order). */
import type { Service } from '../lib/model/types.js';
import type { EngineClient } from '../lib/client/client.js';
import { cliError } from './errors.js';

export interface ServiceMatch { services: Service[]; notFound: string[] }

/** Pure matching over the answers of the `id` and `name` list filters. */
export function matchServices(refs: string[], byId: Service[], byName: Service[]): ServiceMatch {
  const services: Service[] = [];
  const notFound: string[] = [];
  const add = (s: Service) => { if (!services.some((x) => x.ID === s.ID)) services.push(s); };
  for (const ref of refs) {
    const exact = byId.find((s) => s.ID === ref) ?? byName.find((s) => s.Spec.Name === ref);
    if (exact) {
      add(exact);
      continue;
    }
    const prefixed = byId.filter((s) => s.ID.startsWith(ref));
    if (prefixed.length > 1) throw cliError(`multiple services found with provided prefix: ${ref}`);
    if (prefixed[0]) add(prefixed[0]);
    else notFound.push(ref);
  }
  return { services, notFound };
}

export async function resolveServices(client: EngineClient, refs: string[]): Promise<ServiceMatch> {
  const [byId, byName] = await Promise.all([
    client.services.list({ filters: { id: refs } }),
    client.services.list({ filters: { name: refs } }),
  ]);
  return matchServices(refs, byId, byName);
}
