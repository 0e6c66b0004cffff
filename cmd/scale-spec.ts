/** `service scale SERVICE=REPLICAS` arguments. */
import { cliError } from './errors.js';

export interface ScaleSpec { service: string; value: string }

/** Splits `web=3`; anything without `name=value` is refused like docker does. */
export function parseScaleSpecifier(arg: string): ScaleSpec {
  const eq = arg.indexOf('=');
  const service = eq < 0 ? '' : arg.slice(0, eq);
  const value = eq < 0 ? '' : arg.slice(eq + 1);
  if (service === '' || value === '') {
    throw cliError(`invalid scale specifier '${arg}'. See 'swarmlet service scale --help' (expected SERVICE=REPLICAS).`);
  }
  return { service, value };
}

/** The replica count of a specifier; the error names the service like docker (`web: invalid replicas value abc: …`). */
export function parseReplicas(spec: ScaleSpec): number {
  if (!/^\d+$/.test(spec.value)) {
    throw cliError(`${spec.service}: invalid replicas value ${spec.value}: must be a non-negative integer`);
  }
  const n = Number(spec.value);
  if (!Number.isSafeInteger(n)) throw cliError(`${spec.service}: invalid replicas value ${spec.value}: value out of range`);
  return n;
}
