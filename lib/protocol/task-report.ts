import { z } from 'zod';
import { TASK_STATES } from '../model/task-state.js';
import type { Task, TaskStatus } from '../model/types.js';
import { hostPort, nonNegInt, portConfig } from './fields.js';

/** What an agent reports about one of its tasks (`POST /swarmlet/v1/nodes/{id}/tasks/{task}/status`). */
export interface TaskReport {
  State: TaskStatus['State'];
  Message?: string;
  Err?: string;
  ContainerStatus?: TaskStatus['ContainerStatus'];
  PortStatus?: TaskStatus['PortStatus'];
  Endpoint?: Task['Endpoint'];
  Health?: TaskStatus['Health'];
}

export const TaskReportSchema = z.object({
  State: z.enum(TASK_STATES),
  Message: z.string().optional(),
  Err: z.string().optional(),
  ContainerStatus: z.object({ ContainerID: z.string().optional(), PID: nonNegInt().optional(), ExitCode: z.number().int().optional() }).optional(),
  PortStatus: z.object({ Ports: z.array(portConfig()).optional() }).optional(),
  Endpoint: z.object({ Addr: z.string().min(1), Port: hostPort(), Ports: z.record(z.string().regex(/^\d+$/), hostPort()).optional() }).optional(),
  Health: z.enum(['starting', 'healthy', 'unhealthy']).optional(),
}) satisfies z.ZodType<TaskReport>;
