/** `inspect --format`: the template checked before anything is fetched; docker's refusal of `--pretty` with it. */
import { cliError } from '../errors.js';
import { parseObjectTemplate } from './go-template.js';

export function inspectTemplate(flags: { pretty?: boolean; format?: string }): { render(obj: unknown): string } | undefined {
  if (flags.format === undefined) return undefined;
  if (flags.pretty) throw cliError('--format is incompatible with human friendly format', 'format');
  return parseObjectTemplate(flags.format);
}
