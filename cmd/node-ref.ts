import type { CliContext } from './context.js';

/** `self` means the node the manager runs on (GET /info Swarm.NodeID); anything else is passed through. */
export async function nodeRef(ctx: CliContext, ref: string): Promise<string> {
  return ref === 'self' ? (await ctx.client().info()).Swarm.NodeID : ref;
}
