/**
 * One line of a task's log, as every swarmlet client yields it: the in-process cluster
 * (`cluster.logs()`) and the HTTP client (`connect().logs()`) give the same shape.
 */
export interface LogRecord {
  stream: 'stdout' | 'stderr';
  /** Milliseconds since the epoch (when the line was read). */
  time: number;
  text: string;
  taskId: string;
  serviceId: string;
  nodeId: string;
}
