/**
 * A stand-in manager for the dashboard benchmark: the dashboard's files (dist/ui) and the API
 * routes the page reads (GET /nodes, /services, /tasks with the `id` filter, /events), over a
 * synthetic cluster held in memory that the benchmark changes and announces through the one
 * events stream. No scheduler, no processes: only the page's cost is measured.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface StubTask {
  ID: string; Version: { Index: number }; CreatedAt: string; ServiceID: string; Slot: number; NodeID: string;
  DesiredState: string; Status: { State: string; Timestamp: string }; Spec: { ContainerSpec: { Image: string } }; SpecVersion: { Index: number };
}

export interface StubCluster {
  nodes: Array<{ ID: string; Version: { Index: number }; Spec: { Role: string; Availability: string; Labels: Record<string, string> }; Description: { Hostname: string }; Status: { State: string; Addr: string } }>;
  services: Array<{ ID: string; Version: { Index: number }; SpecVersion: { Index: number }; Spec: { Name: string; Mode: { Replicated: { Replicas: number } }; TaskTemplate: { ContainerSpec: { Image: string } } }; Endpoint: { Ports: unknown[] } }>;
  tasks: Map<string, StubTask>;
}

const TYPES: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };

/** `nodes` nodes, `services` services of `perService` tasks each, spread round-robin. */
export function stubCluster(nodes: number, services: number, perService: number): StubCluster {
  const now = new Date().toISOString();
  const c: StubCluster = {
    nodes: Array.from({ length: nodes }, (_, i) => ({
      ID: `node${String(i + 1).padStart(4, '0')}`, Version: { Index: 1 }, Spec: { Role: i === 0 ? 'manager' : 'worker', Availability: 'active', Labels: { zone: `z${i % 3}` } },
      Description: { Hostname: `node-${i + 1}` }, Status: { State: 'ready', Addr: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` },
    })),
    services: Array.from({ length: services }, (_, i) => ({
      ID: `svc${String(i + 1).padStart(4, '0')}`, Version: { Index: 1 }, SpecVersion: { Index: 1 },
      Spec: { Name: `app${i + 1}`, Mode: { Replicated: { Replicas: perService } }, TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } } }, Endpoint: { Ports: [] },
    })),
    tasks: new Map(),
  };
  let k = 0;
  for (const s of c.services) {
    for (let slot = 1; slot <= perService; slot++) {
      const id = `task${String(++k).padStart(6, '0')}`;
      c.tasks.set(id, {
        ID: id, Version: { Index: 1 }, CreatedAt: now, ServiceID: s.ID, Slot: slot, NodeID: c.nodes[k % nodes]!.ID,
        DesiredState: 'running', Status: { State: 'running', Timestamp: now }, Spec: { ContainerSpec: { Image: 'whoami:1' } }, SpecVersion: { Index: 1 },
      });
    }
  }
  return c;
}

export interface StubApi {
  url: string;
  /** Writes events to the page's stream (resolves once it is open). */
  emit(events: object[]): Promise<void>;
  close(): Promise<void>;
}

export async function startStubApi(cluster: StubCluster, uiDir: string, host = '127.0.0.190'): Promise<StubApi> {
  let stream: http.ServerResponse | undefined;
  let opened: () => void = () => {};
  let open = new Promise<void>((r) => { opened = r; });
  const json = (res: http.ServerResponse, body: unknown) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(body)); };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const p = u.pathname;
    if (p.startsWith('/ui/')) {
      const file = p === '/ui/' ? 'index.html' : p.slice(4);
      readFile(join(uiDir, file)).then((b) => { res.setHeader('content-type', TYPES[file.split('.').pop()!] ?? 'application/octet-stream'); res.end(b); },
        () => { res.statusCode = 404; res.end(); });
    } else if (p === '/nodes') json(res, cluster.nodes);
    else if (p === '/services') json(res, cluster.services);
    else if (p === '/tasks') {
      const ids = (JSON.parse(u.searchParams.get('filters') ?? '{}') as { id?: string[] }).id;
      json(res, ids ? ids.map((id) => cluster.tasks.get(id)).filter(Boolean) : [...cluster.tasks.values()]);
    } else if (p === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      stream = res;
      opened();
      res.on('close', () => { if (stream === res) { stream = undefined; open = new Promise<void>((r) => { opened = r; }); } });
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    emit: async (events) => {
      await open;
      stream!.write(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    },
    close: () => new Promise((r) => { stream?.destroy(); server.close(() => r()); server.closeAllConnections(); }),
  };
}
