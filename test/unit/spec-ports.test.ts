import t from 'tap';
import { formatPorts, parsePublish } from '../../lib/model/ports.js';
import type { PortConfig } from '../../lib/model/types.js';
import { expectError } from './spec-helpers.js';

t.test('parsePublish: short and long syntax', async (t) => {
  const cases: Array<[string, PortConfig]> = [
    ['9000:8080', { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' }],
    ['9000:8080/udp', { Protocol: 'udp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' }],
    ['9000:8080/TCP', { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' }],
    ['53:53/sctp', { Protocol: 'sctp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' }],
    ['8080', { Protocol: 'tcp', TargetPort: 8080, PublishMode: 'ingress' }],
    ['8080/udp', { Protocol: 'udp', TargetPort: 8080, PublishMode: 'ingress' }],
    [':8080', { Protocol: 'tcp', TargetPort: 8080, PublishMode: 'ingress' }],
    ['published=9000,target=8080,protocol=tcp,mode=host', { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'host' }],
    ['target=8080', { Protocol: 'tcp', TargetPort: 8080, PublishMode: 'ingress' }],
    ['target=53,published=5353,protocol=udp', { Protocol: 'udp', TargetPort: 53, PublishedPort: 5353, PublishMode: 'ingress' }],
    ['Published=9000,Target=80,Mode=INGRESS', { Protocol: 'tcp', TargetPort: 80, PublishedPort: 9000, PublishMode: 'ingress' }],
    ['published=0,target=80', { Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' }],
    ['published=6390,target=6379,app-protocol=tcp', { Protocol: 'tcp', TargetPort: 6379, PublishedPort: 6390, PublishMode: 'ingress', AppProtocol: 'tcp' }],
    ['published=80,target=8080,app_protocol=HTTP', { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 80, PublishMode: 'ingress', AppProtocol: 'http' }],
  ];
  for (const [input, want] of cases) t.strictSame(parsePublish(input), want, input);
});

t.test('parsePublish: PublishedPort is omitted, not undefined, when not given', async (t) => {
  t.notOk('PublishedPort' in parsePublish('8080'));
  t.equal(JSON.stringify(parsePublish('9000:8080')), '{"Protocol":"tcp","TargetPort":8080,"PublishedPort":9000,"PublishMode":"ingress"}');
});

t.test('parsePublish: every bad form names the value and the problem', async (t) => {
  const cases: Array<[string, string | RegExp]> = [
    ['abc', 'invalid publish "abc": target port "abc" is not a number'],
    ['70000:80', 'invalid publish "70000:80": published port 70000 out of range 1-65535'],
    ['9000:70000', 'invalid publish "9000:70000": target port 70000 out of range 1-65535'],
    ['9000:', 'invalid publish "9000:": target port is required'],
    ['9000:0', 'invalid publish "9000:0": target port 0 out of range 1-65535'],
    ['x:80', 'invalid publish "x:80": published port "x" is not a number'],
    ['9000:8080/icmp', 'invalid publish "9000:8080/icmp": invalid protocol "icmp" (use tcp, udp or sctp)'],
    ['127.0.0.1:9000:80', /^invalid publish "127\.0\.0\.1:9000:80": a host IP is not supported/],
    ['8000-8001:80-81', 'invalid publish "8000-8001:80-81": port ranges are not supported'],
    ['', /^invalid publish "": empty value/],
    ['published=9000', 'invalid publish "published=9000": target port is required'],
    ['published=9000,target=80,mode=vip', `invalid publish "published=9000,target=80,mode=vip": invalid publish mode "vip": must be either 'ingress' or 'host'`],
    ['target=80,protocol=icmp', 'invalid publish "target=80,protocol=icmp": invalid protocol "icmp" (use tcp, udp or sctp)'],
    ['target=80,foo=1', 'invalid publish "target=80,foo=1": unknown field "foo" (use published, target, protocol, mode, app-protocol)'],
    ['target=80,app-protocol=grpc', 'invalid publish "target=80,app-protocol=grpc": invalid app-protocol "grpc" (use http or tcp)'],
    ['target=53,protocol=udp,app-protocol=tcp', 'invalid publish "target=53,protocol=udp,app-protocol=tcp": app-protocol applies to tcp ports only, not udp'],
    ['target=80,bogus', 'invalid publish "target=80,bogus": invalid field "bogus" (expected key=value)'],
    ['target=abc', 'invalid publish "target=abc": target port "abc" is not a number'],
    ['target=80,published=99999', 'invalid publish "target=80,published=99999": published port 99999 out of range 1-65535'],
  ];
  for (const [input, message] of cases) expectError(t, () => parsePublish(input), message, 'publish');
  expectError(t, () => parsePublish(8080 as unknown as string), /^invalid publish 8080: expected a string/, 'publish');
});

t.test('formatPorts: docker service ls PORTS column', async (t) => {
  const p = (PublishedPort: number, TargetPort: number, Protocol: PortConfig['Protocol'] = 'tcp', PublishMode: PortConfig['PublishMode'] = 'ingress'): PortConfig =>
    ({ Protocol, TargetPort, PublishedPort, PublishMode });
  t.equal(formatPorts(undefined), '');
  t.equal(formatPorts([]), '');
  t.equal(formatPorts([p(9000, 8080)]), '*:9000->8080/tcp');
  t.equal(formatPorts([p(9001, 81), p(9000, 80)]), '*:9000-9001->80-81/tcp', 'consecutive ports merge into a range');
  t.equal(formatPorts([p(9000, 8080), p(9090, 9090)]), '*:9000->8080/tcp, *:9090->9090/tcp');
  t.equal(formatPorts([p(53, 53, 'udp'), p(80, 80)]), '*:80->80/tcp, *:53->53/udp', 'sorted by protocol');
  t.equal(formatPorts([p(9000, 8080), p(8000, 80, 'tcp', 'host')]), '*:9000->8080/tcp', 'host-mode ports are not shown');
  t.equal(formatPorts([{ TargetPort: 80, PublishedPort: 8080 }]), '*:8080->80/tcp', 'defaults: tcp, ingress');
  t.equal(formatPorts([{ TargetPort: 80 }]), '', 'an unallocated published port is not shown');
  const input = [p(9001, 81), p(9000, 80)];
  formatPorts(input);
  t.equal(input[0]!.PublishedPort, 9001, 'input not reordered');
});
