import { z } from 'zod';
import { nonNegInt, stringMap } from './fields.js';

/**
 * What a node says about itself: sent with its join and again whenever it changes
 * (`POST /swarmlet/v1/nodes/{id}/description`). The manager stores what the node sent in the
 * node's Description; a field left out keeps what the manager had (Images: left out = none listed).
 */
export interface NodeReport {
  /** The node's OS and CPU architecture, Docker's way (`linux`, `x86_64`). */
  Platform?: { OS: string; Architecture: string };
  /** What the node has to give tasks. */
  Resources?: { NanoCPUs: number; MemoryBytes: number };
  Engine?: { EngineVersion: string; Labels?: Record<string, string> };
  /** The node's task driver (`process`, `docker`). */
  Driver?: string;
  /** The images its driver can run (`name:tag`), for drivers that list them. */
  Images?: string[];
}

export const NodeReportSchema = z.object({
  Platform: z.object({ OS: z.string().min(1), Architecture: z.string().min(1) }).optional(),
  Resources: z.object({ NanoCPUs: nonNegInt(), MemoryBytes: nonNegInt() }).optional(),
  Engine: z.object({ EngineVersion: z.string(), Labels: stringMap().optional() }).optional(),
  Driver: z.string().min(1).optional(),
  Images: z.array(z.string()).optional(),
}) satisfies z.ZodType<NodeReport>;
