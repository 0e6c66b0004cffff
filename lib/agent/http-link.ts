import { setMaxListeners } from 'node:events';
import { request } from 'undici';
import { sleep, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { builtinImage, imageRef } from '../drivers/builtin-images.js';
import { uploadLogs } from './upload-logs.js';
import { ndjsonLines } from '../ndjson-lines.js';
import type { LogLine, LogQuery } from './task-driver.js';
import type { NodeReport } from '../protocol/node-report.js';
import { HeartbeatReplySchema } from '../protocol/join.js';
import { parseSessionLine, type Assignments } from '../protocol/session.js';
import type { TaskReport } from '../protocol/task-report.js';
import type { AgentLink } from './agent-link.js';
import { createTlsDispatcher, type ClientTlsOptions } from '../client/tls-dispatcher.js';
import { payloadLookup, taskFilesOf } from '../secrets/task-files.js';
import { ManagerCursor } from '../client/manager-cursor.js';

export interface HttpLinkOptions {
  manager: string;
  nodeId: string;
  credential: string;
  heartbeatMs: number;
  /** Trust this CA (PEM text) for an https manager. */
  tls?: ClientTlsOptions;
  clock: Clock;
  logger?: Logger;
  /** Where the node's task logs come from (its driver): answers the manager's log requests. */
  logs?: (taskId: string, query: LogQuery) => AsyncIterable<LogLine>;
}

/**
 * An agent's session with a remote manager over its HTTP API: assignments stream down (NDJSON,
 * reconnected with back-off), task reports and heartbeats go up. While the manager is unreachable
 * the agent keeps its tasks running (it only acts on new assignments); on reconnect it sends the
 * last report of every task again, so the manager catches up on what happened meanwhile. `manager`
 * may list several managers (comma-separated): a broken session moves on to the next one.
 */
export function createHttpLink(o: HttpLinkOptions): AgentLink & { close(): void } {
  const logger = o.logger ?? silentLogger();
  // Several managers (`--manager URL,URL,URL`): the session moves to the next one when it breaks.
  const managers = new ManagerCursor(o.manager);
  const base = () => managers.current();
  const auth = { authorization: `Bearer ${o.credential}` };
  const stop = new AbortController();
  // One signal for every request of the link: a burst of task reports (one per task) is normal.
  setMaxListeners(0, stop.signal);
  const dispatcher = createTlsDispatcher(o.tls);
  const via = dispatcher ? { dispatcher } : {};
  stop.signal.addEventListener('abort', () => { void dispatcher?.close().catch(() => undefined); }, { once: true });
  let latest: Assignments = { Tasks: [], Services: {}, Images: [] };
  const lastReports = new Map<string, TaskReport>();
  let lastDescription: NodeReport | undefined;
  const post = (path: string, body: unknown) => request(`${base()}${path}`, {
    ...via, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}), signal: stop.signal,
    headersTimeout: 10_000, bodyTimeout: 10_000,
  });
  const sendReport = async (taskId: string, r: TaskReport) => {
    const res = await post(`/swarmlet/v1/nodes/${o.nodeId}/tasks/${taskId}/status`, r);
    await res.body.dump();
  };
  const sendDescription = async (d: NodeReport) => {
    const res = await post(`/swarmlet/v1/nodes/${o.nodeId}/description`, d);
    await res.body.dump();
  };
  // The period the manager asks for: its answer to each heartbeat carries it (`swarm update --dispatcher-heartbeat`).
  let heartbeatMs = o.heartbeatMs;
  /** One heartbeat; false when the manager did not take it (several managers: time to try another). */
  const heartbeat = async (): Promise<boolean> => {
    const res = await request(`${base()}/swarmlet/v1/nodes/${o.nodeId}/heartbeat`, {
      ...via, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}', signal: stop.signal,
      headersTimeout: Math.max(2000, heartbeatMs * 2), bodyTimeout: 10_000,
    });
    if (res.statusCode !== 200) { await res.body.dump(); return res.statusCode < 500; } // an older manager answers 204
    const reply = HeartbeatReplySchema.safeParse(await res.body.json());
    if (reply.success && reply.data.HeartbeatPeriodMs > 0 && reply.data.HeartbeatPeriodMs !== heartbeatMs) {
      logger.info({ heartbeatMs: reply.data.HeartbeatPeriodMs }, 'heartbeat period changed by the manager');
      heartbeatMs = reply.data.HeartbeatPeriodMs;
    }
    return true;
  };
  /** Cuts the current session (several managers: a heartbeat that failed means this one cannot serve us). */
  let cutSession: (() => void) | undefined;
  void (async () => {
    while (!stop.signal.aborted) {
      await sleep(o.clock, heartbeatMs, stop.signal);
      if (stop.signal.aborted) break;
      const ok = await heartbeat().catch(() => false);
      if (!ok && managers.size > 1 && !stop.signal.aborted) cutSession?.();
    }
  })();
  return {
    watchAssignments(_nodeId, onTasks) {
      void (async () => {
        let backoff = 200;
        while (!stop.signal.aborted) {
          const attempt = new AbortController();
          const onStop = () => attempt.abort();
          stop.signal.addEventListener('abort', onStop, { once: true });
          cutSession = () => attempt.abort();
          try {
            // Several managers send a blank line every second: 5 s of silence is a stopped manager, and
            // one that does not even answer the session's headers as fast as a heartbeat is skipped.
            const res = await request(`${base()}/swarmlet/v1/nodes/${o.nodeId}/session`, { ...via, headers: auth, signal: attempt.signal,
              bodyTimeout: managers.size > 1 ? 5000 : 0, headersTimeout: managers.size > 1 ? Math.max(2000, heartbeatMs * 2) : 10_000 });
            if (res.statusCode !== 200) throw new Error(`session refused: HTTP ${res.statusCode} ${(await res.body.text()).slice(0, 200)}`);
            backoff = 200;
            for (const [id, r] of lastReports) void sendReport(id, r).catch(() => undefined);
            if (lastDescription) void sendDescription(lastDescription).catch(() => undefined);
            for await (const lines of ndjsonLines(res.body)) {
              for (const line of lines) {
                const checked = parseSessionLine(JSON.parse(line));
                if (!checked.ok) {
                  logger.warn({ err: checked.error.message }, 'manager sent a malformed session message; ignored');
                  continue;
                }
                const message = checked.value;
                if ('LogRequest' in message) {
                  if (o.logs) void uploadLogs(message.LogRequest, { url: `${base()}/swarmlet/v1/nodes/${o.nodeId}/logs/${message.LogRequest.ID}`, headers: auth, ...via, logs: o.logs, signal: stop.signal, logger });
                  continue;
                }
                latest = message;
                const ids = new Set(latest.Tasks.map((t) => t.ID));
                for (const id of lastReports.keys()) if (!ids.has(id)) lastReports.delete(id);
                onTasks(latest.Tasks);
              }
            }
            // A clean end: the manager stopped, or (several managers) a follower whose leader changed.
            if (!stop.signal.aborted) logger.info({ manager: base() }, 'manager session ended; reconnecting (tasks keep running)');
          } catch (err) {
            if (stop.signal.aborted) break;
            logger.warn({ err: (err as Error).message, manager: base() }, 'manager session lost; tasks keep running');
          } finally {
            stop.signal.removeEventListener('abort', onStop);
            cutSession = undefined;
          }
          if (managers.size > 1) {
            // Straight to the next manager; back off only once a whole round failed.
            managers.next();
            if (!managers.atStart()) { await sleep(o.clock, 100, stop.signal); continue; }
          }
          await sleep(o.clock, backoff, stop.signal);
          // Several managers: a round fails while they elect a leader (seconds); keep trying every second
          // so the new leader hears from this node within its grace period.
          backoff = Math.min(backoff * 2, managers.size > 1 ? 1000 : 5000);
        }
      })();
      return () => stop.abort();
    },
    report(_nodeId, taskId, report) {
      lastReports.set(taskId, report);
      void sendReport(taskId, report).catch((err: unknown) => logger.warn({ task: taskId, err: (err as Error).message }, 'task report not delivered (sent again on reconnect)'));
    },
    describe(_nodeId, d) {
      lastDescription = d;
      void sendDescription(d).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'node description not delivered (sent again on reconnect)'));
    },
    resolveImage(image) {
      const ref = imageRef(image);
      return latest.Images.find((i) => i.Name === ref) ?? builtinImage(ref, new Date(o.clock.now()).toISOString());
    },
    serviceInfo(serviceId) {
      return latest.Services[serviceId];
    },
    taskFiles(task) {
      return taskFilesOf(task, payloadLookup(latest));
    },
    taskEnv(task) {
      return latest.Env?.[task.ID] ?? [];
    },
    async drained(taskId) {
      try {
        const res = await post(`/swarmlet/v1/nodes/${o.nodeId}/drained/${taskId}`, {});
        return await res.body.json();
      } catch {
        return false;
      }
    },
    close() { stop.abort(); },
  };
}
