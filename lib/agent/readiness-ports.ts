import type { RunningTask, TaskPort } from './task-driver.js';

/**
 * The host ports a task must accept TCP connections on before it counts as running: every TCP
 * target port it publishes (the first at `endpoint.port`, each other at `endpoint.ports[target]`;
 * a driver that reports no port for a target is not waited on for it; a UDP target also published
 * on TCP is waited on), or its VIP port when it
 * publishes nothing. UDP and SCTP ports need no connect: a task whose ports are all UDP gets none.
 */
export function readinessPorts(endpoint: RunningTask['endpoint'], port: TaskPort | undefined): number[] {
  if (!endpoint || port === undefined) return [];
  if (port.vipOnly === true) return [endpoint.port];
  if (port.udpOnly) return [];
  const out: number[] = [];
  if (port.protocol === 'tcp') out.push(endpoint.port);
  for (const x of [...(port.extra ?? []), ...(port.more ?? [])]) {
    const hostPort = x.protocol !== 'tcp' ? undefined : x.target === port.target ? endpoint.port : endpoint.ports?.[String(x.target)];
    if (hostPort !== undefined && !out.includes(hostPort)) out.push(hostPort);
  }
  return out;
}
