/** One entry of `services:` to the ServiceSpec `<stack>_<name>` that docker stack deploy sends. */
import type { ConfigReference, ConfigSpec, SecretReference, SecretSpec } from '../model/secret-types.js';
import type { ServiceSpec } from '../model/types.js';
import { withStack, type ComposeContext } from './compose-context.js';
import { containerSpec } from './compose-container.js';
import { applyDeploy, DEPLOY_KEYS } from './compose-deploy.js';
import { fileRefs } from './compose-file-objects.js';
import { serviceNetworks } from './compose-networks.js';
import { portConfigs } from './compose-ports.js';
import { serviceMounts, type VolumeScope } from './compose-volumes.js';
import type { StackNetwork, StackObject } from './stack-plan.js';

/** The image as the file names it (docker stack deploy sets it; it tells a changed image apart from a resolved digest). */
export const IMAGE_LABEL = 'com.docker.stack.image';

const SERVICE_KEYS = ['image', 'command', 'entrypoint', 'environment', 'ports', 'deploy', 'healthcheck', 'secrets', 'configs', 'networks',
  'labels', 'working_dir', 'user', 'hostname', 'stop_grace_period', 'stop_signal', 'tty', 'init', 'volumes'] as const;

export interface ServiceScope {
  stack: string;
  secrets: Map<string, StackObject<SecretSpec>>;
  configs: Map<string, StackObject<ConfigSpec>>;
  network(key: string): StackNetwork | undefined;
  /** Networks attached by some service (filled in). */
  usedNetworks: Set<StackNetwork>;
  volumes: VolumeScope;
}

export function convertService(c: ComposeContext, svcName: string, raw: unknown, scope: ServiceScope): ServiceSpec {
  const p = `services.${svcName}`;
  const s = c.obj(raw, p);
  c.keys(s, p, SERVICE_KEYS);
  if (s.image === undefined) throw c.fail(`${p}.image`, 'required');
  const dp = `${p}.deploy`;
  const deploy = c.obj(s.deploy, dp);
  c.keys(deploy, dp, DEPLOY_KEYS);

  const container = containerSpec(c, s, p, scope.stack);
  if (s.secrets !== undefined) {
    container.Secrets = fileRefs(c, s.secrets, `${p}.secrets`, scope.secrets).map(({ file, name }): SecretReference => ({ File: file, SecretID: '', SecretName: name }));
  }
  if (s.configs !== undefined) {
    container.Configs = fileRefs(c, s.configs, `${p}.configs`, scope.configs).map(({ file, name }): ConfigReference => ({ File: file, ConfigID: '', ConfigName: name }));
  }
  if (s.volumes !== undefined) container.Mounts = serviceMounts(c, s.volumes, `${p}.volumes`, scope.volumes);
  const spec: ServiceSpec = {
    Name: `${scope.stack}_${svcName}`,
    Labels: { ...withStack(scope.stack, deploy.labels === undefined ? undefined : c.labels(deploy.labels, `${dp}.labels`)), [IMAGE_LABEL]: c.str(s.image, `${p}.image`) },
    TaskTemplate: { ContainerSpec: container, Networks: serviceNetworks(c, s.networks, p, svcName, scope.network, scope.usedNetworks) },
    Mode: {},
  };
  applyDeploy(c, deploy, dp, spec);
  const endpoint: NonNullable<ServiceSpec['EndpointSpec']> = {};
  if (deploy.endpoint_mode !== undefined) endpoint.Mode = c.oneOf(deploy.endpoint_mode, `${dp}.endpoint_mode`, ['vip', 'dnsrr'] as const);
  if (s.ports !== undefined) {
    endpoint.Ports = c.list(s.ports, `${p}.ports`).flatMap((x, i) => portConfigs(c, x, `${p}.ports[${i}]`))
      .sort((a, b) => (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0));
  }
  spec.EndpointSpec = endpoint;
  return spec;
}
