/**
 * The docker driver's port plan: which target ports a task's container publishes (table), the
 * create-container bindings and env for them, the endpoint reported and read back on adoption,
 * and the ports readiness waits on. The driver on the fake engine: every target its own host port,
 * all or nothing.
 */
import t from 'tap';
import type { StartRequest, TaskPort } from '../../lib/agent/task-driver.js';
import { TaskRunner } from '../../lib/agent/task-runner.js';
import { silentLogger } from '../../lib/logger.js';
import type { TaskReport } from '../../lib/protocol/task-report.js';
import { readinessPorts } from '../../lib/agent/readiness-ports.js';
import { FakeClock } from '../../lib/clock.js';
import type { PortConfig, Service, Task } from '../../lib/model/types.js';
import type { ServiceInfo } from '../../lib/protocol/session.js';
import { moreProtocolsOf, serviceInfoOf } from '../../lib/dispatcher/watch-node.js';
import { containerConfig } from '../../lib/drivers/docker/container-config.js';
import { createDockerDriver, endpointOf } from '../../lib/drivers/docker/docker-driver.js';
import { endpointOfPublished, portBindingPlan, publishedOfBindings, type PublishedPort } from '../../lib/drivers/docker/port-bindings.js';
import { svc, tsk } from '../fixtures/store-objects.js';
import { FakeDockerApi } from '../fixtures/fake-docker-api.js';

const NODE = { id: 'node-1', hostname: 'worker-1', addr: '127.0.0.222' };
// Host ports are probed by binding them: below the ephemeral range (32768-60999), on an address of
// its own, so another test's outgoing connection or listener never holds one.
const RANGE: [number, number] = [31320, 31329];

type Ports = Pick<StartRequest, 'targetPort' | 'hostPort' | 'protocol' | 'extraPorts' | 'vipPort' | 'moreProtocols'>;

t.test('portBindingPlan: the target ports a container publishes (table)', async (t) => {
  const cases: Array<[string, Ports, ReturnType<typeof portBindingPlan>]> = [
    ['nothing published', {}, []],
    ['extras without a first target: nothing', { extraPorts: [{ target: 443 }] }, []],
    ['one tcp port', { targetPort: 80 }, [{ target: 80, protocol: 'tcp' }]],
    ['VIP only: its target port', { vipPort: 80 }, [{ target: 80, protocol: 'tcp' }]],
    ['a published port wins over the VIP port', { targetPort: 8080, vipPort: 80 }, [{ target: 8080, protocol: 'tcp' }]],
    ['-p 8080:80 -p 8443:443', { targetPort: 80, extraPorts: [{ target: 443 }] }, [{ target: 80, protocol: 'tcp' }, { target: 443, protocol: 'tcp' }]],
    ['udp first, tcp second', { targetPort: 53, protocol: 'udp', extraPorts: [{ target: 8053, protocol: 'tcp' }] },
      [{ target: 53, protocol: 'udp' }, { target: 8053, protocol: 'tcp' }]],
    ['host mode on both', { targetPort: 80, hostPort: 8088, extraPorts: [{ target: 443, hostPort: 8443 }] },
      [{ target: 80, protocol: 'tcp', hostPort: 8088 }, { target: 443, protocol: 'tcp', hostPort: 8443 }]],
    ['host mode on the second only', { targetPort: 80, extraPorts: [{ target: 443, hostPort: 8443 }] },
      [{ target: 80, protocol: 'tcp' }, { target: 443, protocol: 'tcp', hostPort: 8443 }]],
    ['a repeated target keeps its first entry', { targetPort: 80, extraPorts: [{ target: 80, protocol: 'udp' }, { target: 81 }, { target: 81, hostPort: 9 }] },
      [{ target: 80, protocol: 'tcp' }, { target: 81, protocol: 'tcp' }]],
    ['one host port for tcp and udp of two targets', { targetPort: 53, hostPort: 5353, extraPorts: [{ target: 54, protocol: 'udp', hostPort: 5353 }] },
      [{ target: 53, protocol: 'tcp', hostPort: 5353 }, { target: 54, protocol: 'udp', hostPort: 5353 }]],
    ['tcp and udp on one target: one host port bound for both', { targetPort: 53, extraPorts: [{ target: 80 }], moreProtocols: [{ target: 53, protocol: 'udp' }, { target: 80, protocol: 'tcp' }, { target: 9, protocol: 'udp' }] },
      [{ target: 53, protocol: 'tcp', also: ['udp'] }, { target: 80, protocol: 'tcp' }]],
    ['host mode on both protocols', { targetPort: 53, protocol: 'udp', hostPort: 5353, moreProtocols: [{ target: 53, protocol: 'tcp' }, { target: 53, protocol: 'tcp' }] },
      [{ target: 53, protocol: 'udp', hostPort: 5353, also: ['tcp'] }]],
  ];
  for (const [name, req, want] of cases) t.strictSame(portBindingPlan(req), want, name);
  t.throws(() => portBindingPlan({ targetPort: 53, hostPort: 5353, extraPorts: [{ target: 54, protocol: 'udp', hostPort: 5353 }], moreProtocols: [{ target: 53, protocol: 'udp' }] }),
    { code: 'invalid_argument', field: 'EndpointSpec.Ports', message: 'host-mode port 5353/udp is published for targets 54 and 53' });
  t.throws(() => portBindingPlan({ targetPort: 80, hostPort: 8088, extraPorts: [{ target: 81, hostPort: 8088 }] }),
    { code: 'invalid_argument', field: 'EndpointSpec.Ports', message: 'host-mode port 8088/tcp is published for targets 80 and 81' });
});

t.test('containerConfig with several ports: each target bound on its own host port at the node address; PORT and PORT_<target>', async (t) => {
  const base = tsk('task-m', 'svc-1', NODE.id, 1);
  const tk: Task = { ...base, Spec: { ...base.Spec, ContainerSpec: { Image: 'web:1' } } };
  const req: StartRequest = { task: tk, serviceName: 'web', taskName: 'web.1', node: NODE, image: undefined, env: ['A=1'], targetPort: 80 };
  const cases: Array<[string, PublishedPort[], Partial<ReturnType<typeof containerConfig>> & { bindings?: unknown }]> = [
    ['none', [], { Env: ['A=1'], ExposedPorts: undefined, bindings: undefined }],
    ['two tcp', [{ target: 80, addr: '127.0.0.9', hostPort: 20001, protocol: 'tcp' }, { target: 443, addr: '127.0.0.9', hostPort: 20002, protocol: 'tcp' }], {
      Env: ['A=1', 'PORT=80', 'PORT_80=80', 'PORT_443=443'],
      ExposedPorts: { '80/tcp': {}, '443/tcp': {} },
      bindings: { '80/tcp': [{ HostIp: '127.0.0.9', HostPort: '20001' }], '443/tcp': [{ HostIp: '127.0.0.9', HostPort: '20002' }] },
    }],
    ['one target on tcp and udp', [{ target: 53, addr: '127.0.0.9', hostPort: 20004, protocol: 'tcp', also: ['udp'] }], {
      Env: ['A=1', 'PORT=53', 'PORT_53=53'],
      ExposedPorts: { '53/tcp': {}, '53/udp': {} },
      bindings: { '53/tcp': [{ HostIp: '127.0.0.9', HostPort: '20004' }], '53/udp': [{ HostIp: '127.0.0.9', HostPort: '20004' }] },
    }],
    ['tcp and udp', [{ target: 8080, addr: '127.0.0.9', hostPort: 20003 }, { target: 53, addr: '127.0.0.9', hostPort: 5353, protocol: 'udp' }], {
      Env: ['A=1', 'PORT=8080', 'PORT_8080=8080', 'PORT_53=53'],
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      bindings: { '8080/tcp': [{ HostIp: '127.0.0.9', HostPort: '20003' }], '53/udp': [{ HostIp: '127.0.0.9', HostPort: '5353' }] },
    }],
  ];
  for (const [name, published, want] of cases) {
    const body = containerConfig(req, published);
    t.strictSame({ Env: body.Env, ExposedPorts: body.ExposedPorts, bindings: body.HostConfig.PortBindings },
      { Env: want.Env, ExposedPorts: want.ExposedPorts, bindings: want.bindings }, name);
  }
});

t.test('the endpoint: first target\'s host port, every target\'s in ports when several; read back from bindings (table)', async (t) => {
  const p = (target: number, hostPort: number, protocol: PublishedPort['protocol'] = 'tcp'): PublishedPort => ({ target, addr: '127.0.0.5', hostPort, protocol });
  t.equal(endpointOfPublished([]), undefined, 'nothing published: no endpoint');
  t.strictSame(endpointOfPublished([p(80, 20001)]), { addr: '127.0.0.5', port: 20001 }, 'one port: no ports map');
  t.strictSame(endpointOfPublished([p(443, 20002), p(80, 20001)]), { addr: '127.0.0.5', port: 20002, ports: { '443': 20002, '80': 20001 } });

  const b = (hostPort: string, HostIp = '127.0.0.5') => [{ HostIp, HostPort: hostPort }];
  const cases: Array<[string, Parameters<typeof publishedOfBindings>[0], number | undefined, PublishedPort[]]> = [
    ['none', null, undefined, []],
    ['the first target (PORT) first, though the engine sorts keys', { '443/tcp': b('20002'), '80/tcp': b('20001') }, 80, [p(80, 20001), p(443, 20002)]],
    ['no PORT: lowest target first', { '8443/tcp': b('20002'), '80/tcp': b('20001') }, undefined, [p(80, 20001), p(8443, 20002)]],
    ['udp kept with its protocol', { '53/udp': b('5353'), '8080/tcp': b('20001') }, 8080, [p(8080, 20001), p(53, 5353, 'udp')]],
    ['unusable bindings left out', { '80/tcp': null, '81/tcp': b(''), '82/tcp': b('7', ''), 'x/tcp': b('9'), '83/tcp': b('20003') }, 80, [p(83, 20003)]],
  ];
  for (const [name, bindings, first, want] of cases) t.strictSame(publishedOfBindings(bindings, first), want, name);
  t.strictSame(endpointOf({ HostConfig: { PortBindings: { '443/tcp': b('20002'), '80/tcp': b('20001') } }, Config: { Env: ['PORT=1', 'PORT=80', 'PORT_443=443'] } }),
    { addr: '127.0.0.5', port: 20001, ports: { '80': 20001, '443': 20002 } }, 'endpointOf: the last PORT names the first target');
});

t.test('readinessPorts: every TCP target port\'s host port, none for UDP (table)', async (t) => {
  const ep = { addr: '127.0.0.5', port: 20001, ports: { '80': 20001, '443': 20002, '53': 20003 } };
  const tcp = (target: number, extra: TaskPort['extra'] = []): TaskPort => ({ target, protocol: 'tcp', udpOnly: false, extra });
  const cases: Array<[string, Parameters<typeof readinessPorts>[0], TaskPort | undefined, number[]]> = [
    ['no endpoint', undefined, tcp(80), []],
    ['no port info', ep, undefined, []],
    ['one tcp port', { addr: '127.0.0.5', port: 20001 }, tcp(80), [20001]],
    ['two tcp ports', ep, tcp(80, [{ target: 443, protocol: 'tcp' }]), [20001, 20002]],
    ['a udp extra is not waited on', ep, tcp(80, [{ target: 53, protocol: 'udp' }]), [20001]],
    ['udp first, tcp second: only the second', ep, { target: 53, protocol: 'udp', udpOnly: false, extra: [{ target: 443, protocol: 'tcp' }] }, [20002]],
    ['all udp', ep, { target: 53, protocol: 'udp', udpOnly: true, extra: [{ target: 80, protocol: 'udp' }] }, []],
    ['an extra the driver reports no port for', { addr: '127.0.0.5', port: 20001 }, tcp(80, [{ target: 443, protocol: 'tcp' }]), [20001]],
    ['udp first, also published on tcp: waited on', ep, { target: 53, protocol: 'udp', udpOnly: false, more: [{ target: 53, protocol: 'tcp' }] }, [20001]],
    ['an extra udp target also on tcp', ep, { ...tcp(80, [{ target: 53, protocol: 'udp' }]), more: [{ target: 53, protocol: 'tcp' }] }, [20001, 20003]],
    ['VIP only: the endpoint port', { addr: '127.0.0.5', port: 20009 }, { target: 80, protocol: 'tcp', udpOnly: false, vipOnly: true }, [20009]],
  ];
  for (const [name, e, port, want] of cases) t.strictSame(readinessPorts(e, port), want, name);
});

t.test('driver: several target ports, each its own host port; all or nothing; given back on exit; adopted with every port', async (t) => {
  const api = new FakeDockerApi();
  api.addImage('web:1');
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const driver = createDockerDriver({ api, clock, nodeId: NODE.id, hostname: NODE.hostname, portRange: RANGE });
  const mk = (id: string): Task => { const b = tsk(id, 'svc-1', NODE.id, 1); return { ...b, Spec: { ...b.Spec, ContainerSpec: { Image: 'web:1' } } }; };
  const req = (tk: Task, ports: Ports): StartRequest => ({ task: tk, serviceName: 'web', taskName: 'web.1', node: NODE, image: undefined, env: [], ...ports });

  const a = mk('task-a');
  const rt = await driver.start(req(a, { targetPort: 80, extraPorts: [{ target: 443 }, { target: 53, protocol: 'udp' }] }));
  t.strictSame(rt.endpoint, { addr: NODE.addr, port: RANGE[0], ports: { '80': RANGE[0], '443': RANGE[0] + 1, '53': RANGE[0] + 2 } });
  const body = [...api.containers.values()][0]!.body;
  t.strictSame(body.HostConfig.PortBindings, {
    '80/tcp': [{ HostIp: NODE.addr, HostPort: String(RANGE[0]) }],
    '443/tcp': [{ HostIp: NODE.addr, HostPort: String(RANGE[0] + 1) }],
    '53/udp': [{ HostIp: NODE.addr, HostPort: String(RANGE[0] + 2) }],
  });

  // The second target's host-mode port is taken on the node: refused, and the first target's port is given back
  // (a driver with a one-port range: the next task can only get it if it was released).
  const tiny = createDockerDriver({ api, clock, nodeId: NODE.id, hostname: NODE.hostname, portRange: [RANGE[0] + 9, RANGE[0] + 9] });
  await tiny.start(req(mk('task-h'), { targetPort: 8080, hostPort: 9080 }));
  const before = api.containers.size;
  await t.rejects(tiny.start(req(mk('task-x'), { targetPort: 80, extraPorts: [{ target: 8080, hostPort: 9080 }] })), {
    code: 'failed_precondition', message: 'host-mode port 9080/tcp is already in use on node worker-1',
  });
  t.equal(api.containers.size, before, 'no container for the refused task');
  const next = await tiny.start(req(mk('task-y'), { targetPort: 80 }));
  t.equal(next.endpoint?.port, RANGE[0] + 9, 'the refused task\'s allocated port was given back');

  // The agent restarts: a new driver adopts the container with all its ports, and reserves them.
  const second = createDockerDriver({ api, clock, nodeId: NODE.id, hostname: NODE.hostname, portRange: [RANGE[0], RANGE[0] + 3] });
  const adopted = await second.adopt!(a);
  t.strictSame(adopted?.endpoint, rt.endpoint, 'same endpoint, every port');
  const fresh = await second.start(req(mk('task-z'), { targetPort: 80 }));
  t.equal(fresh.endpoint?.port, RANGE[0] + 3, 'the adopted ports are reserved');
  await t.rejects(second.start(req(mk('task-w'), { targetPort: 80 })), { code: 'unavailable' }, 'range full');
  await adopted!.stop(0);
  await adopted!.exited;
  const again = await second.start(req(mk('task-v'), { targetPort: 80, extraPorts: [{ target: 443 }, { target: 53, protocol: 'udp' }] }));
  t.same(Object.values(again.endpoint!.ports!).sort(), [RANGE[0], RANGE[0] + 1, RANGE[0] + 2], 'every port given back when the container exited');
});

t.test('serviceInfoOf: a target published with a second protocol is carried as moreProtocols (table)', async (t) => {
  const withPorts = (Ports: PortConfig[]): Service => { const s = svc('s1', 'dns'); return { ...s, Spec: { ...s.Spec, EndpointSpec: { Ports } } }; };
  const cases: Array<[string, PortConfig[], ServiceInfo['moreProtocols']]> = [
    ['one protocol per target: none', [{ TargetPort: 53, PublishedPort: 9053 }, { TargetPort: 80, PublishedPort: 9080, Protocol: 'udp' }], undefined],
    ['-p 9053:53 -p 9053:53/udp', [{ TargetPort: 53, PublishedPort: 9053 }, { TargetPort: 53, PublishedPort: 9053, Protocol: 'udp' }], [{ target: 53, protocol: 'udp' }]],
    ['udp first, then tcp on another published port', [{ TargetPort: 7000, PublishedPort: 9604, Protocol: 'udp' }, { TargetPort: 7000, PublishedPort: 9603 }], [{ target: 7000, protocol: 'tcp' }]],
    ['the same protocol twice: none', [{ TargetPort: 80, PublishedPort: 9080 }, { TargetPort: 80, PublishedPort: 9081 }], undefined],
    ['host mode on one published port', [{ TargetPort: 53, PublishedPort: 5353, PublishMode: 'host' }, { TargetPort: 53, PublishedPort: 5353, PublishMode: 'host', Protocol: 'udp' }], [{ target: 53, protocol: 'udp' }]],
    ['host mode on two published ports: not one host port', [{ TargetPort: 53, PublishedPort: 5353, PublishMode: 'host' }, { TargetPort: 53, PublishedPort: 5354, PublishMode: 'host', Protocol: 'udp' }], undefined],
    ['ingress and host mode mixed: not one host port', [{ TargetPort: 53, PublishedPort: 9053 }, { TargetPort: 53, PublishedPort: 5353, PublishMode: 'host', Protocol: 'udp' }], undefined],
  ];
  for (const [name, ports, want] of cases) t.strictSame(serviceInfoOf(withPorts(ports)).moreProtocols, want, name);
  t.strictSame(moreProtocolsOf(withPorts([])), [], 'no ports');
});

t.test('through the runner: PortStatus lists every target and each second protocol on its host port', async (t) => {
  const api = new FakeDockerApi();
  api.addImage('web:1');
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const driver = createDockerDriver({ api, clock, nodeId: NODE.id, hostname: NODE.hostname, portRange: RANGE });
  const b = tsk('task-r', 'svc-1', NODE.id, 1);
  const tk: Task = { ...b, Spec: { ...b.Spec, ContainerSpec: { Image: 'web:1' } } };
  const reports: TaskReport[] = [];
  // All UDP (and SCTP): running once started, no TCP connect to a fake engine's port.
  const req: StartRequest = { task: tk, serviceName: 'web', taskName: 'web.1', node: NODE, image: undefined, env: [],
    targetPort: 53, protocol: 'udp', extraPorts: [{ target: 123, protocol: 'udp', hostPort: 9123 }], moreProtocols: [{ target: 53, protocol: 'sctp' }, { target: 123, protocol: 'sctp' }] };
  const port: TaskPort = { target: 53, protocol: 'udp', udpOnly: true, extra: [{ target: 123, protocol: 'udp', hostPort: 9123 }],
    more: [{ target: 53, protocol: 'sctp' }, { target: 123, protocol: 'sctp' }] };
  const runner = new TaskRunner(tk, driver, req, (r) => reports.push(r), silentLogger(), port, clock);
  for (let i = 0; i < 50 && !reports.some((r) => r.State === 'running'); i++) await new Promise((r) => setImmediate(r));
  const running = reports.find((r) => r.State === 'running');
  t.strictSame(running?.PortStatus?.Ports, [
    { Protocol: 'udp', TargetPort: 53, PublishedPort: RANGE[0], PublishMode: 'ingress' },
    { Protocol: 'udp', TargetPort: 123, PublishedPort: 9123, PublishMode: 'host' },
    { Protocol: 'sctp', TargetPort: 53, PublishedPort: RANGE[0], PublishMode: 'ingress' },
    { Protocol: 'sctp', TargetPort: 123, PublishedPort: 9123, PublishMode: 'host' },
  ]);
  t.strictSame(api.byTask('task-r')!.body.HostConfig.PortBindings, {
    '53/udp': [{ HostIp: NODE.addr, HostPort: String(RANGE[0]) }], '53/sctp': [{ HostIp: NODE.addr, HostPort: String(RANGE[0]) }],
    '123/udp': [{ HostIp: NODE.addr, HostPort: '9123' }], '123/sctp': [{ HostIp: NODE.addr, HostPort: '9123' }],
  }, 'each protocol bound on its target\'s one host port');
  void runner.stop();
  await runner.done;
  await driver.close();
});
