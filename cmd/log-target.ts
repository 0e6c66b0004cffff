/**
 * What `service logs REF` reads: a service, else a task (ID, full name or prefix), else a task
 * display name `web.1` / `web.<nodeID>` (newest task of that slot; Swarm refuses these, moby#28945).
 */
import type { Service, Task } from '../lib/model/types.js';
import type { EngineClient } from '../lib/client/client.js';
import { isNotFound } from '../lib/client/api-error.js';
import { cliError } from './errors.js';

export type LogTarget = { kind: 'service'; service: Service } | { kind: 'task'; task: Task };

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** `web.1` → { service: 'web', slot: '1' }; undefined when the text has no dot. */
export function splitDisplayName(ref: string): { service: string; slot: string } | undefined {
  const dot = ref.lastIndexOf('.');
  if (dot <= 0 || dot === ref.length - 1) return undefined;
  return { service: ref.slice(0, dot), slot: ref.slice(dot + 1) };
}

/** The newest task of a slot (`1`) or, for global services, of a node (ID or ID prefix). */
export function pickSlotTask(tasks: Task[], slot: string): Task | undefined {
  const matches = /^\d+$/.test(slot)
    ? tasks.filter((t) => t.Slot === Number(slot))
    : tasks.filter((t) => t.Slot === 0 && t.NodeID !== '' && t.NodeID.startsWith(slot));
  return matches.sort((a, b) => Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt))[0];
}

export async function resolveLogTarget(client: EngineClient, ref: string): Promise<LogTarget> {
  const service = await orUndefined(client.services.get(ref));
  if (service) return { kind: 'service', service };
  const task = await orUndefined(client.tasks.get(ref));
  if (task) return { kind: 'task', task };
  const name = splitDisplayName(ref);
  if (name) {
    const owner = await orUndefined(client.services.get(name.service));
    if (owner) {
      const picked = pickSlotTask(await client.tasks.list({ service: [owner.ID] }), name.slot);
      if (picked) return { kind: 'task', task: picked };
    }
  }
  throw cliError(`no such task or service: ${ref}`);
}
