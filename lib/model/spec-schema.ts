/**
 * zod schemas for a ServiceSpec arriving from the Engine API (docker-cli-compat §4.1), after decode-fields.ts
 * has kept only the daemon's fields. Objects are loose: the Engine API fields swarmlet does not use are kept
 * so round trips survive; the ones it uses are typed. Enumerations whose Swarm error
 * text matters (FailureAction, Order, Condition) and sign checks on durations are left to validate-spec.ts.
 */
import { z } from 'zod';

const NON_NEG_INT = 'expected a non-negative integer';
const INT_NS = 'expected an integer number of nanoseconds';
const PORT = 'expected a port number 1-65535';
const PUBLISHED_PORT = 'expected a port number 0-65535 (0: the manager picks one)';

const nonNegInt = () => z.number({ error: NON_NEG_INT }).int({ error: NON_NEG_INT }).min(0, { error: NON_NEG_INT });
const nanoseconds = () => z.number({ error: INT_NS }).int({ error: INT_NS });
const nonNegNanoseconds = () => nanoseconds().min(0, { error: 'expected a non-negative number of nanoseconds' });
const strings = () => z.array(z.string());
const stringMap = () => z.record(z.string(), z.string());
const oneOf = (values: [string, ...string[]]) =>
  z.enum([...values, ''] as [string, ...string[]], { error: `expected one of ${values.join(', ')}` });

export const HealthConfigSchema = z.looseObject({
  Test: strings().optional(),
  Interval: nanoseconds().optional(),
  Timeout: nanoseconds().optional(),
  StartPeriod: nanoseconds().optional(),
  StartInterval: nanoseconds().optional(),
  Retries: z.number().int().optional(),
});

export const ContainerSpecSchema = z.looseObject({
  Image: z.string().optional(),
  Labels: stringMap().optional(),
  Command: strings().optional(),
  Args: strings().optional(),
  Hostname: z.string().optional(),
  Env: strings().optional(),
  Dir: z.string().optional(),
  User: z.string().optional(),
  Groups: strings().optional(),
  Init: z.boolean().optional(),
  StopSignal: z.string().optional(),
  TTY: z.boolean().optional(),
  OpenStdin: z.boolean().optional(),
  ReadOnly: z.boolean().optional(),
  StopGracePeriod: nonNegNanoseconds().optional(),
  Healthcheck: HealthConfigSchema.optional(),
  Hosts: strings().optional(),
  DNSConfig: z.looseObject({ Nameservers: strings().optional(), Search: strings().optional(), Options: strings().optional() }).optional(),
});

const ResourceSetSchema = z.looseObject({
  NanoCPUs: nonNegInt().optional(),
  MemoryBytes: nonNegInt().optional(),
  Pids: z.number().int().optional(),
});

export const TaskSpecSchema = z.looseObject({
  ContainerSpec: ContainerSpecSchema.optional(),
  Resources: z.looseObject({ Limits: ResourceSetSchema.optional(), Reservations: ResourceSetSchema.optional() }).optional(),
  RestartPolicy: z.looseObject({
    Condition: z.string().optional(),
    Delay: nanoseconds().optional(),
    MaxAttempts: nonNegInt().optional(),
    Window: nanoseconds().optional(),
  }).optional(),
  Placement: z.looseObject({
    Constraints: strings().optional(),
    Preferences: z.array(z.looseObject({ Spread: z.looseObject({ SpreadDescriptor: z.string() }).optional() })).optional(),
    MaxReplicas: nonNegInt().optional(),
    Platforms: z.array(z.looseObject({ Architecture: z.string().optional(), OS: z.string().optional() })).optional(),
  }).optional(),
  ForceUpdate: nonNegInt().optional(),
  Runtime: z.string().optional(),
});

export const UpdateConfigSchema = z.looseObject({
  Parallelism: nonNegInt().optional(),
  Delay: nanoseconds().optional(),
  FailureAction: z.string().optional(),
  Monitor: nanoseconds().optional(),
  MaxFailureRatio: z.number().optional(),
  Order: z.string().optional(),
  StartTimeout: nanoseconds().optional(),
});

export const PortConfigSchema = z.looseObject({
  Name: z.string().optional(),
  Protocol: oneOf(['tcp', 'udp', 'sctp']).optional(),
  TargetPort: z.number({ error: PORT }).int({ error: PORT }).min(1, { error: PORT }).max(65535, { error: PORT }),
  PublishedPort: z.number({ error: PUBLISHED_PORT }).int({ error: PUBLISHED_PORT }).min(0, { error: PUBLISHED_PORT })
    .max(65535, { error: PUBLISHED_PORT }).optional(),
  PublishMode: oneOf(['ingress', 'host']).optional(),
  AppProtocol: oneOf(['http', 'tcp']).optional(),
});

export const ServiceModeSchema = z.looseObject({
  Replicated: z.looseObject({ Replicas: z.number({ error: NON_NEG_INT }).int({ error: NON_NEG_INT }).optional() }).optional(),
  Global: z.looseObject({}).optional(),
  ReplicatedJob: z.looseObject({ MaxConcurrent: nonNegInt().optional(), TotalCompletions: nonNegInt().optional() }).optional(),
  GlobalJob: z.looseObject({}).optional(),
});

export const ServiceSpecSchema = z.looseObject({
  Name: z.string().optional(),
  Labels: stringMap().optional(),
  TaskTemplate: TaskSpecSchema.optional(),
  Mode: ServiceModeSchema.optional(),
  UpdateConfig: UpdateConfigSchema.optional(),
  RollbackConfig: UpdateConfigSchema.optional(),
  EndpointSpec: z.looseObject({ Mode: oneOf(['vip', 'dnsrr']).optional(), Ports: z.array(PortConfigSchema).optional() }).optional(),
});
