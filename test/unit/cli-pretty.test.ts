import t from 'tap';
import { prettyService } from '../../cmd/format/service-pretty.js';
import { prettyNode } from '../../cmd/format/node-pretty.js';
import { bytesSize, cpus, prettyLines } from '../../cmd/format/pretty.js';
import { node, service } from './cli-fixtures.js';

t.test('helpers', async (t) => {
  t.equal(bytesSize(64 * 1024 * 1024), '64MiB');
  t.equal(bytesSize(1.5 * 1024 ** 3), '1.5GiB');
  t.equal(bytesSize(512), '512B');
  t.equal(cpus(500_000_000), '0.5');
  t.same(prettyLines([['Name:', 'web'], ['Section:'], false, [' Sub:', 0]]), [`${'Name:'.padEnd(20)}web`, 'Section:', `${' Sub:'.padEnd(20)}0`]);
});

t.test('service --pretty shows mode, update status, configs, resources, ports', async (t) => {
  const s = service({ replicas: 3, UpdateStatus: { State: 'paused', Message: 'update paused due to x', StartedAt: '2026-01-01T00:00:00Z' } });
  s.Spec.Labels = { team: 'a' };
  s.Spec.UpdateConfig = { Parallelism: 2, Delay: 3e9, FailureAction: 'rollback', Monitor: 5e9, MaxFailureRatio: 0.2, Order: 'start-first' };
  s.Spec.TaskTemplate.ContainerSpec.Env = ['A=1'];
  s.Spec.TaskTemplate.Resources = { Reservations: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024 } };
  s.Spec.TaskTemplate.Placement = { Constraints: ['node.role==worker'] };
  s.Endpoint = { Spec: {}, Ports: [{ TargetPort: 8080, PublishedPort: 9000, Protocol: 'tcp', PublishMode: 'ingress' }] };
  const text = prettyService(s).join('\n');
  for (const want of [
    /^ID: +svc1\nName: +web\nLabels:\n team=a\nService Mode: +Replicated\n Replicas: +3\n/,
    /UpdateStatus:\n State: +paused\n Started: +2026-01-01T00:00:00Z\n Message: +update paused due to x\n/,
    /Placement:\n Constraints: +\[node\.role==worker\]\n/,
    /UpdateConfig:\n Parallelism: +2\n Delay: +3s\n On failure: +rollback\n Monitoring Period: +5s\n Max failure ratio: +0\.2\n Update order: +start-first\n/,
    /ContainerSpec:\n Image: +whoami:1\n Env: +A=1\n/,
    /Resources:\n Reservations:\n  CPU: +0\.5\n  Memory: +64MiB\n/,
    /Endpoint Mode: +vip\nPorts:\n PublishedPort = 9000\n  Protocol = tcp\n  TargetPort = 8080\n  PublishMode = ingress$/,
  ]) t.match(text, want);
  t.match(prettyService(service({ global: true })).join('\n'), /Service Mode: +Global\nPlacement:/);
});

t.test('node --pretty', async (t) => {
  const n = node('n1', 'node-1', {
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:2377' },
    Description: { Hostname: 'node-1', Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 1024 ** 3 }, Engine: { EngineVersion: '0.1.0' }, Driver: 'process' },
  });
  const text = prettyNode(n).join('\n');
  t.match(text, /^ID: +n1\nHostname: +node-1\nJoined at: +\S+\nStatus:\n State: +Ready\n Availability: +Active\nManager Status:\n Address: +127\.0\.0\.1:2377\n Raft Status: +Reachable\n Leader: +Yes\n/);
  t.match(text, /Resources:\n CPUs: +4\n Memory: +8GiB\nTask Driver: +process\nEngine Version: +0\.1\.0$/);
});
