import { z } from 'zod';

/** Field schemas shared by the wire messages. */
export const nonNegInt = () => z.number().int().min(0);
export const port = () => z.number().int().min(1).max(65535);
export const hostPort = () => z.number().int().min(0).max(65535);
export const stringMap = () => z.record(z.string(), z.string());
export const portConfig = () => z.object({
  Name: z.string().optional(),
  Protocol: z.enum(['tcp', 'udp', 'sctp']).optional(),
  TargetPort: port(),
  PublishedPort: hostPort().optional(),
  PublishMode: z.enum(['ingress', 'host']).optional(),
});
