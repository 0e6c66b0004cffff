/**
 * A Compose file (v3, the subset Swarm supports) to the objects `docker stack deploy` creates, as the
 * docker CLI converts it client-side (cli/compose/convert): `<stack>_<name>` networks, secrets, configs and
 * services labelled `com.docker.stack.namespace=<stack>`. Pure: the only I/O is the injected `readFile`
 * (secret/config `file:`). Any key it does not know is refused, naming the file, the key path and the
 * problem, so nothing is deployed from a half-understood file. Secret contents never appear in an error.
 * Each part is converted in a file named after it (compose-networks, compose-file-objects, compose-service…).
 */
import { parse } from 'yaml';
import { invalid } from '../errors.js';
import type { ConfigSpec, SecretSpec } from '../model/secret-types.js';
import type { ServiceSpec } from '../model/types.js';
import { ComposeContext } from './compose-context.js';
import { convertFileObjects } from './compose-file-objects.js';
import { convertNetworks, defaultNetwork } from './compose-networks.js';
import { interpolate } from './compose-interpolate.js';
import { mergeComposeFiles } from './compose-merge.js';
import { convertService } from './compose-service.js';
import { convertVolumes } from './compose-volumes.js';
import type { StackNetwork, StackPlan } from './stack-plan.js';

export { STACK_LABEL } from './compose-context.js';
export { IMAGE_LABEL } from './compose-service.js';
export type { NetworkCreate, StackNetwork, StackObject, StackPlan } from './stack-plan.js';

export interface ComposeFile {
  /** Shown in errors. */
  fileName: string;
  text: string;
}

export interface ComposeInput {
  /** One or more files (`-c a.yml -c b.yml`): later ones override (compose-merge.ts). */
  files: ComposeFile[];
  stack: string;
  /** The variables `${VAR}` reads (the CLI's environment; no `.env` file, as docker stack deploy). Default: none set. */
  env?: Record<string, string | undefined>;
  /** Reads a `file:` path (relative to the first compose file's directory: the caller resolves). */
  readFile(path: string): Buffer;
  /** The first file's directory (absolute): relative bind sources are resolved from it. Default `/`. */
  workingDir?: string;
}

/** YAML 1.2 (yes/no/y/n stay strings) but `0440` is octal, as go-yaml (Compose) reads it. */
const GO_OCTAL = { tag: 'tag:yaml.org,2002:int', format: 'OCT', default: true, test: /^0[0-7]+$/, resolve: (s: string) => parseInt(s, 8) };

const TOP = ['version', 'name', 'services', 'networks', 'secrets', 'configs', 'volumes'] as const;

/** Converts a Compose file to the stack's objects, or throws an invalid_argument naming file, key path and problem. */
export function composeToSpecs(input: ComposeInput): StackPlan {
  const stack = input.stack;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(stack)) throw invalid(`invalid stack name "${stack}": letters, digits, _ . - only`, 'name');
  if (input.files.length === 0) throw invalid('at least one compose file is required', 'compose-file');
  const env = input.env ?? {};
  const docs = input.files.map((f) => {
    let doc: unknown;
    try { doc = parse(f.text, { uniqueKeys: true, customTags: (tags) => [GO_OCTAL, ...tags] }); } catch (e) {
      throw invalid(`${f.fileName}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    return interpolate(doc, (name) => env[name], (path, problem) => invalid(`${f.fileName}: ${path}: ${problem}`, path));
  });
  const c = new ComposeContext((path) => fileOf(input.files, docs, path));
  const top = c.obj(docs.length === 1 ? docs[0] : mergeComposeFiles(docs), '(top level)');
  c.keys(top, '', TOP);

  const networks = convertNetworks(c, top, stack);
  const fallback = defaultNetwork(stack);
  const secrets = convertFileObjects<SecretSpec>(c, top, 'secrets', stack, input.readFile);
  const configs = convertFileObjects<ConfigSpec>(c, top, 'configs', stack, input.readFile);
  const usedNetworks = new Set<StackNetwork>();
  const volumes = { volumes: convertVolumes(c, top, stack), workingDir: input.workingDir ?? '/' };
  const scope = { stack, secrets, configs, usedNetworks, volumes, network: (key: string) => networks.get(key) ?? (key === 'default' ? fallback : undefined) };

  const servicesObj = c.obj(top.services, 'services');
  if (Object.keys(servicesObj).length === 0) throw c.fail('services', 'at least one service is required');
  const services: ServiceSpec[] = [];
  const published = new Map<string, string>();
  for (const [svcName, raw] of Object.entries(servicesObj)) {
    const spec = convertService(c, svcName, raw, scope);
    for (const port of spec.EndpointSpec?.Ports ?? []) {
      if (port.PublishedPort === undefined) continue;
      const k = `${port.PublishedPort}/${port.Protocol ?? 'tcp'}`;
      const other = published.get(k);
      if (other !== undefined) throw c.fail(`services.${svcName}.ports`, `port ${k} is already published by service ${other}`);
      published.set(k, svcName);
    }
    services.push(spec);
  }
  services.sort((a, b) => a.Name.localeCompare(b.Name));

  // Only the networks a service uses are created or checked (as the docker CLI).
  return {
    networks: [...usedNetworks].sort((a, b) => a.name.localeCompare(b.name)),
    secrets: [...secrets.values()], configs: [...configs.values()], services,
  };
}

/** The last file that sets the longest prefix of `path` (`services.a.ports[1]` → the last file with services.a.ports). */
function fileOf(files: ComposeFile[], docs: unknown[], path: string): string {
  if (files.length === 1) return files[0]!.fileName;
  const keys = path.replace(/\[\d+\]/g, '').split('.');
  let best = files[files.length - 1]!.fileName;
  let bestDepth = -1;
  docs.forEach((doc, i) => {
    let node = doc;
    let depth = 0;
    for (const k of keys) {
      if (!node || typeof node !== 'object' || Array.isArray(node) || !(k in node)) break;
      node = (node as Record<string, unknown>)[k];
      depth++;
    }
    if (depth >= bestDepth && depth > 0) { best = files[i]!.fileName; bestDepth = depth; }
  });
  return best;
}
