/** VIP allocation, network requests and rules, service attachments, discovery variables, the VIP gateways' table. */
import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { sequentialIds } from '../../lib/ids.js';
import { allocateSubnet, allocateVip, checkAddrPool, gatewayOf, parseCidr } from '../../lib/networks/vip-allocation.js';
import { parseNetworkRequest } from '../../lib/networks/network-spec.js';
import { resolveServiceNetworks, virtualIpsFor } from '../../lib/networks/service-networks.js';
import { discoveryEnv, envName, vipPorts } from '../../lib/networks/discovery-env.js';
import { createNetworkControl } from '../../lib/manager/network-control.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { projectVipTable } from '../../lib/cluster/vip-gateways.js';
import type { Network } from '../../lib/model/network-types.js';
import type { Service } from '../../lib/model/types.js';
import { svc } from '../fixtures/store-objects.js';

t.test('subnets: the lowest free /24 of the pool; gateway .1; refused outside 127/8 or with host bits', async (t) => {
  t.equal(allocateSubnet([]), '127.77.0.0/24');
  t.equal(allocateSubnet(['127.77.0.0/24', '127.77.2.0/24']), '127.77.1.0/24', 'a freed subnet is reused');
  t.equal(allocateSubnet(['127.77.0.0/23']), '127.77.2.0/24', 'a wider custom subnet is skipped over');
  t.equal(allocateSubnet([], '127.10.0.0/22'), '127.10.0.0/24', 'a configured pool');
  const full = Array.from({ length: 4 }, (_, i) => `127.10.${i}.0/24`);
  t.throws(() => allocateSubnet(full, '127.10.0.0/22'), /no free subnet left in the virtual IP pool 127.10.0.0\/22/);
  t.equal(gatewayOf('127.77.5.0/24'), '127.77.5.1');
  t.throws(() => parseCidr('10.0.0.0/24'), /virtual IPs live in 127.0.0.0\/8/);
  t.throws(() => parseCidr('127.77.0.1/24'), /host bits are set/);
  t.throws(() => parseCidr('127.77.0.0'), /expected a.b.c.d\/8-30/);
});

t.test('address pool: Docker\'s DefaultAddrPool + SubnetSize, several pools in order, always inside 127/8', async (t) => {
  const pool = (pools: string[], subnetSize = 24) => ({ pools, subnetSize });
  t.equal(allocateSubnet([], pool(['127.88.0.0/16'])), '127.88.0.0/24');
  t.equal(allocateSubnet(['127.88.0.0/26'], pool(['127.88.0.0/16'], 26)), '127.88.0.64/26', 'a /26 per network');
  t.equal(allocateSubnet([], pool(['127.88.0.0/16'], 16)), '127.88.0.0/16', 'the whole pool as one subnet');
  t.equal(allocateSubnet(['127.88.0.0/24', '127.88.1.0/24'], pool(['127.88.0.0/23', '127.99.0.0/16'])), '127.99.0.0/24', 'the next pool once the first is full');
  t.throws(() => allocateSubnet(['127.88.0.0/23'], pool(['127.88.0.0/23'])), /no free subnet left in the virtual IP pool 127.88.0.0\/23/);
  t.same(checkAddrPool(pool(['127.88.0.0/16'])), pool(['127.88.0.0/16']));
  const flags = { pool: '--default-addr-pool', size: '--default-addr-pool-mask-length' };
  t.throws(() => checkAddrPool(pool(['10.0.0.0/8']), flags), { message: 'invalid --default-addr-pool 10.0.0.0/8: swarmlet\'s virtual IPs live in 127.0.0.0/8 (loopback)', field: '--default-addr-pool' });
  t.throws(() => checkAddrPool(pool(['127.88.0.1/16']), flags), { message: 'invalid --default-addr-pool 127.88.0.1/16: host bits are set' });
  t.throws(() => checkAddrPool(pool(['nonsense']), flags), { message: 'invalid --default-addr-pool nonsense: expected a.b.c.d/8-30' });
  t.throws(() => checkAddrPool(pool(['127.88.0.0/16', '127.88.4.0/24']), flags), { message: 'invalid --default-addr-pool: 127.88.0.0/16 overlaps 127.88.4.0/24' });
  t.throws(() => checkAddrPool(pool([]), flags), { message: 'invalid --default-addr-pool: at least one pool is needed' });
  t.throws(() => checkAddrPool(pool(['127.88.0.0/16'], 12), flags), { message: 'invalid --default-addr-pool-mask-length 12: expected 16-30 (at least the pool\'s prefix length, at most 30)', field: '--default-addr-pool-mask-length' });
  t.throws(() => checkAddrPool(pool(['127.88.0.0/16'], 31), flags), /invalid --default-addr-pool-mask-length 31/);
  t.throws(() => checkAddrPool(pool(['127.88.0.0/16'], 8)), /^invalid SubnetSize 8: expected 16-30/, 'without names: the API fields');
});

t.test('the network control takes subnets from its address pool', async (t) => {
  const store = new MemoryStore({ clock: new FakeClock(0) });
  const networks = createNetworkControl({ store, clock: new FakeClock(0), ids: sequentialIds('n'), addrPool: { pools: ['127.88.0.0/16'], subnetSize: 26 } });
  networks.create({ Name: 'a' });
  networks.create({ Name: 'b' });
  t.same(networks.get('a').IPAM.Config, [{ Subnet: '127.88.0.0/26', Gateway: '127.88.0.1' }]);
  t.same(networks.get('b').IPAM.Config, [{ Subnet: '127.88.0.64/26', Gateway: '127.88.0.65' }]);
  t.throws(() => createNetworkControl({ store, clock: new FakeClock(0), ids: sequentialIds('n'), addrPool: { pools: ['192.168.0.0/16'], subnetSize: 24 } }), /invalid DefaultAddrPool 192.168.0.0\/16/);
});

t.test('VIPs: lowest free host from .2, reused once free, an exhausted subnet refused', async (t) => {
  t.equal(allocateVip('127.77.3.0/24', []), '127.77.3.2/24');
  t.equal(allocateVip('127.77.3.0/24', ['127.77.3.2/24', '127.77.3.4/24']), '127.77.3.3/24');
  t.equal(allocateVip('127.77.3.0/30', []), '127.77.3.2/30');
  t.throws(() => allocateVip('127.77.3.0/30', ['127.77.3.2']), /no free virtual IP left in 127.77.3.0\/30/);
  const full = Array.from({ length: 253 }, (_, i) => `127.77.3.${i + 2}/24`);
  t.throws(() => allocateVip('127.77.3.0/24', full), /no free virtual IP/);
});

const net = (Id: string, Name: string, Subnet: string): Network => ({
  Name, Id, Created: '', Scope: 'swarm', Driver: 'overlay', EnableIPv6: false, IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet }] },
  Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {},
});

function service(id: string, name: string, networks: unknown[], vips: Service['Endpoint']['VirtualIPs'] = [], ports: number[] = []): Service {
  const s = svc(id, name);
  s.Spec.TaskTemplate.Networks = networks;
  if (ports.length > 0) s.Spec.EndpointSpec = { Ports: ports.map((p) => ({ TargetPort: p })) };
  s.Endpoint = { Spec: {}, ...(vips.length > 0 ? { VirtualIPs: vips } : {}) };
  return s;
}

t.test('attachments: targets by name, ID or prefix stored as IDs; unknown or twice refused; VIPs kept, dnsrr none', async (t) => {
  const nets = [net('netaaa', 'front', '127.77.0.0/24'), net('netbbb', 'back', '127.77.1.0/24')];
  const s = service('s1', 'web', [{ Target: 'front' }, { Target: 'netb', Aliases: ['db'] }]);
  resolveServiceNetworks(s.Spec, nets);
  t.same(s.Spec.TaskTemplate.Networks, [{ Target: 'netaaa' }, { Target: 'netbbb', Aliases: ['db'] }]);
  t.throws(() => resolveServiceNetworks(service('x', 'x', [{ Target: 'nope' }]).Spec, nets), /^network nope not found$/);
  t.throws(() => resolveServiceNetworks(service('x', 'x', [{ Target: 'front' }, { Target: 'netaaa' }]).Spec, nets), /attached to network front more than once/);
  t.throws(() => resolveServiceNetworks(service('x', 'x', [{}]).Spec, nets), /TaskTemplate\.Networks\[0\]\.Target: a network name or ID is required/);
  t.throws(() => resolveServiceNetworks(service('x', 'x', [{ Target: 'front', Aliases: ['bad alias'] }]).Spec, nets), /Aliases/);

  const other = service('s0', 'api', [{ Target: 'netaaa' }], [{ NetworkID: 'netaaa', Addr: '127.77.0.2/24' }]);
  t.same(virtualIpsFor(s.Spec, nets, [other]), [{ NetworkID: 'netaaa', Addr: '127.77.0.3/24' }, { NetworkID: 'netbbb', Addr: '127.77.1.2/24' }]);
  t.same(virtualIpsFor(s.Spec, nets, [other], [{ NetworkID: 'netbbb', Addr: '127.77.1.9/24' }]).at(1), { NetworkID: 'netbbb', Addr: '127.77.1.9/24' }, 'kept across updates');
  t.same(virtualIpsFor({ ...s.Spec, EndpointSpec: { Mode: 'dnsrr' } }, nets, []), [], 'dnsrr: no VIP');
});

t.test('discovery variables: services sharing a network, aliases, the Kubernetes names; nothing across networks', async (t) => {
  t.equal(envName('web-app.v2'), 'WEB_APP_V2');
  const api = service('a', 'api', [{ Target: 'n1', Aliases: ['backend'] }], [{ NetworkID: 'n1', Addr: '127.77.0.2/24' }], [8080, 9090]);
  const web = service('w', 'web', [{ Target: 'n1' }, { Target: 'n2' }], [{ NetworkID: 'n1', Addr: '127.77.0.3/24' }, { NetworkID: 'n2', Addr: '127.77.1.2/24' }]);
  const db = service('d', 'db', [{ Target: 'n2' }], [{ NetworkID: 'n2', Addr: '127.77.1.3/24' }], [5432]);
  const all = [api, web, db];
  t.same(discoveryEnv(web, all), [
    'API_SERVICE_HOST=127.77.0.2', 'API_SERVICE_PORT=8080', 'BACKEND_SERVICE_HOST=127.77.0.2', 'BACKEND_SERVICE_PORT=8080',
    'DB_SERVICE_HOST=127.77.1.3', 'DB_SERVICE_PORT=5432', 'WEB_SERVICE_HOST=127.77.0.3', 'WEB_SERVICE_PORT=80',
  ]);
  t.notOk(discoveryEnv(api, all).some((e) => e.startsWith('DB_')), 'api and db share no network');
  t.same(discoveryEnv(svc('p', 'plain'), all), [], 'no network: nothing');
  t.same(vipPorts(api), [8080, 9090]);
});

t.test('network control: create, duplicates, custom subnets, filters, remove refused while in use', async (t) => {
  const store = new MemoryStore({ clock: new FakeClock(0) });
  const c = createNetworkControl({ store, clock: new FakeClock(0), ids: sequentialIds('net') });
  const a = c.create({ Name: 'front', Driver: 'overlay', Attachable: true, Labels: { tier: 'web' }, Options: { x: '1' } });
  t.throws(() => c.create({ Name: 'front' }), /^network with name front already exists$/);
  t.throws(() => c.create({ Name: 'custom', IPAM: { Config: [{ Subnet: '127.77.0.0/16' }] } }), /Pool overlaps with other one/);
  c.create({ Name: 'custom', IPAM: { Config: [{ Subnet: '127.99.0.0/24' }] } });
  t.throws(() => c.create({ Name: 'b', Driver: 'bridge' }), /network driver "bridge" is not supported/);
  t.throws(() => c.create({ Name: 'b', Ingress: true }), /ingress networks are not supported/);
  t.throws(() => c.create({}), /^network name must be specified$/);
  const front = c.get('front');
  t.match(front, { Id: a.Id, Scope: 'swarm', Driver: 'overlay', Attachable: true, Labels: { tier: 'web' }, Options: { x: '1' } });
  t.notOk('Version' in front, 'no store stamps in answers');
  t.same(c.list({ name: ['ron'] }).map((n) => n.Name), ['front'], 'name matches a part');
  t.same(c.list({ label: ['tier=web'] }).map((n) => n.Name), ['front']);
  t.same(c.list({ type: ['custom'] }).length, 2);
  t.same(c.list({ type: ['builtin'] }).length, 0);
  t.throws(() => c.list({ colour: ['x'] }), /invalid filter 'colour'/);
  store.update((tx) => tx.putService(service('s1', 'web', [{ Target: a.Id }])));
  t.same(c.list({ dangling: ['true'] }).map((n) => n.Name), ['custom']);
  t.throws(() => c.remove('front'), /^network front is in use by service web$/);
  store.update((tx) => tx.deleteService('s1'));
  c.remove('front');
  t.same(c.list().map((n) => n.Name), ['custom']);
  t.equal(parseNetworkRequest({ Name: 'x', Driver: '' }).Driver, 'overlay', 'no driver: overlay');
});

t.test('a VIP gateway sees the services with its VIP, their VIP ports as published ports', async (t) => {
  const table = {
    version: 7,
    services: [
      { serviceId: 'a', name: 'api', ports: [{ published: 9000, target: 8080, protocol: 'tcp' as const }], endpoints: [], vips: [{ addr: '127.77.0.2', ports: [8080] }] },
      { serviceId: 'w', name: 'web', ports: [], endpoints: [], vips: [{ addr: '127.77.0.3', ports: [80] }] },
      { serviceId: 'p', name: 'plain', ports: [{ published: 9001, target: 80, protocol: 'tcp' as const }], endpoints: [] },
    ],
  };
  t.same(projectVipTable(table, '127.77.0.2'), { version: 7, services: [{ serviceId: 'a', name: 'api', ports: [{ published: 8080, target: 8080, protocol: 'tcp' }], endpoints: [] }] });
  t.same(projectVipTable(table, '127.77.9.9').services, []);
});
