import t from 'tap';
import { filterNodes, filterServices, filterTasks } from '../../lib/manager/list-filters.js';
import { node, service, task } from '../fixtures/orchestrator-fixtures.js';

const web = { ...service({ id: 'gabc' }), Spec: { ...service().Spec, Name: 'web' } };
const g = { ...service({ id: 'zzz1' }), Spec: { ...service().Spec, Name: 'g' } };
const services = [web, g];
const nodes = [node('n1'), node('n2')];
const tasks = [task(1, 'n1', { serviceId: 'gabc' }), task(1, 'n2', { serviceId: 'zzz1' }), task(2, 'n2', { serviceId: 'zzz1', desired: 'shutdown' })];

t.test('task filter `service`: a full name wins over an ID prefix (moby resolves one service)', async (t) => {
  t.same(filterTasks(tasks, { service: ['g'] }, { services, nodes }).map((x) => x.ServiceID), ['zzz1', 'zzz1']);
  t.same(filterTasks(tasks, { service: ['gab'] }, { services, nodes }).map((x) => x.ServiceID), ['gabc'], 'a unique ID prefix');
  t.same(filterTasks(tasks, { service: ['nosuch'] }, { services, nodes }), []);
});

t.test('task filters: node by hostname, desired-state, values ORed, keys ANDed', async (t) => {
  t.equal(filterTasks(tasks, { node: ['n2'] }, { services, nodes }).length, 2);
  t.equal(filterTasks(tasks, { node: ['n2'], 'desired-state': ['running'] }, { services, nodes }).length, 1);
  t.equal(filterTasks(tasks, { 'desired-state': ['running', 'shutdown'] }, { services, nodes }).length, 3);
  t.throws(() => filterTasks(tasks, { bogus: ['x'] }, { services, nodes }), /invalid filter 'bogus'/);
  t.throws(() => filterTasks(tasks, { 'desired-state': ['sleepy'] }, { services, nodes }), /desired-state/);
});

t.test('service and node filters: id and name are prefixes; mode; role', async (t) => {
  t.same(filterServices(services, { name: ['w'] }).map((s) => s.ID), ['gabc']);
  t.same(filterServices(services, { id: ['zz'] }).map((s) => s.ID), ['zzz1']);
  t.same(filterServices(services, { mode: ['global'] }), []);
  t.same(filterNodes(nodes, { role: ['worker'] }).length, 2);
  t.same(filterNodes(nodes, { role: ['manager'] }).length, 0);
});
