/**
 * Compose volumes → ContainerSpec.Mounts (the full set is checked against docker 28's capture in
 * compose-to-specs.test.ts: volumes.yml); here each syntax and each refusal.
 */
import t from 'tap';
import { composeToSpecs } from '../../lib/stack/compose-to-specs.js';

const mounts = (vols: string, top = '') => composeToSpecs({
  files: [{ fileName: 'c.yml', text: `services:\n  a:\n    image: x\n    volumes:\n${vols}${top}` }], stack: 'app', workingDir: '/srv/app', readFile: () => Buffer.from(''),
}).services[0]!.TaskTemplate.ContainerSpec.Mounts;

t.test('conversions', async (t) => {
  const NS = { 'com.docker.stack.namespace': 'app' };
  const cases: Array<[string, string, string, unknown]> = [
    ['absolute bind', '      - /data:/b\n', '', [{ Type: 'bind', Source: '/data', Target: '/b' }]],
    ['relative bind, read-only', '      - ./conf:/etc/conf:ro\n', '', [{ Type: 'bind', Source: '/srv/app/conf', Target: '/etc/conf', ReadOnly: true }]],
    ['bind with propagation', '      - ../up:/u:rw,rslave\n', '', [{ Type: 'bind', Source: '/srv/up', Target: '/u', BindOptions: { Propagation: 'rslave' } }]],
    ['anonymous volume', '      - /cache\n', '', [{ Type: 'volume', Target: '/cache' }]],
    ['named volume, nocopy', '      - data:/d:nocopy\n', 'volumes:\n  data: {}\n', [{ Type: 'volume', Source: 'app_data', Target: '/d', VolumeOptions: { NoCopy: true, Labels: NS } }]],
    ['named volume with name: and driver', '      - data:/d\n', 'volumes:\n  data: { name: shared, driver: local, labels: [k=v] }\n',
      [{ Type: 'volume', Source: 'shared', Target: '/d', VolumeOptions: { Labels: { k: 'v', ...NS }, DriverConfig: { Name: 'local' } } }]],
    ['external volume', '      - type: volume\n        source: ext\n        target: /e\n        read_only: true\n', 'volumes:\n  ext: { external: true }\n',
      [{ Type: 'volume', Source: 'ext', Target: '/e', ReadOnly: true, VolumeOptions: {} }]],
    ['tmpfs with size', '      - type: tmpfs\n        target: /t\n        tmpfs: { size: 64M }\n', '', [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024 } }]],
    ['long bind, read_only', '      - { type: bind, source: /x, target: /y, read_only: true, consistency: cached }\n', '', [{ Type: 'bind', Source: '/x', Target: '/y', ReadOnly: true, Consistency: 'cached' }]],
  ];
  for (const [what, vols, top, want] of cases) t.same(mounts(vols, top), want, what);
});

t.test('refusals name the key', async (t) => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['undeclared named volume', '      - data:/d\n', '', /^c\.yml: services\.a\.volumes\[0\]: volume "data" is not declared under the top-level volumes$/],
    ['unknown mode', '      - /x:/y:z\n', '', /services\.a\.volumes\[0\]: unsupported volume mode "z"/],
    ['tilde', '      - ~/x:/y\n', '', /services\.a\.volumes\[0\]: "~\/x": ~ is not expanded/],
    ['npipe', '      - { type: npipe, source: x, target: /y }\n', '', /services\.a\.volumes\[0\]\.type: expected one of bind, volume, tmpfs/],
    ['bind without source', '      - { type: bind, target: /y }\n', '', /services\.a\.volumes\[0\]\.source: required with type: bind/],
    ['tmpfs with source', '      - { type: tmpfs, source: x, target: /y }\n', '', /services\.a\.volumes\[0\]\.source: not allowed with type: tmpfs/],
    ['no target', '      - { type: volume, source: v }\n', 'volumes: { v: {} }\n', /services\.a\.volumes\[0\]\.target: required/],
    ['bind options on a volume', '      - { type: volume, source: v, target: /y, bind: { propagation: shared } }\n', 'volumes: { v: {} }\n', /services\.a\.volumes\[0\]\.bind: not allowed with type: volume/],
    ['unknown top-level volume key', '      - /cache\n', 'volumes:\n  v: { driverz: local }\n', /^c\.yml: volumes\.v\.driverz: unsupported key$/],
  ];
  for (const [what, vols, top, re] of cases) t.throws(() => mounts(vols, top), re, what);
});
