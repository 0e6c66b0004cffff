import { invalid } from '../errors.js';
import type { Node } from '../model/types.js';

export interface Constraint { key: string; op: '==' | '!='; value: string }

const KEY = /^(node\.(id|hostname|role|ip|platform\.os|platform\.arch)|node\.labels\.[^=!\s]+|engine\.labels\.[^=!\s]+)$/;

/** Parses Swarm placement constraints ("node.labels.zone==eu"), with Swarm's error texts. */
export function parseConstraints(exprs: string[]): Constraint[] {
  return exprs.map((expr) => {
    const m = /^(.*?)(==|!=)(.*)$/.exec(expr);
    if (!m) throw invalid(`constraint expected one operator from ==, !=`, 'TaskTemplate.Placement.Constraints');
    const key = (m[1] ?? '').trim();
    const value = (m[3] ?? '').trim();
    if (/[=!]/.test(value)) throw invalid(`constraint expected one operator from ==, !=`, 'TaskTemplate.Placement.Constraints');
    if (!KEY.test(key)) throw invalid(`key '${key}' is invalid`, 'TaskTemplate.Placement.Constraints');
    if (value === '' || /\s/.test(value)) throw invalid(`value '${value}' is invalid`, 'TaskTemplate.Placement.Constraints');
    return { key, op: m[2] as '==' | '!=', value };
  });
}

function nodeValue(node: Node, key: string): string {
  if (key === 'node.id') return node.ID;
  if (key === 'node.hostname') return node.Description.Hostname;
  if (key === 'node.role') return node.Spec.Role;
  if (key === 'node.ip') return node.Status.Addr ?? '';
  if (key === 'node.platform.os') return node.Description.Platform?.OS ?? '';
  if (key === 'node.platform.arch') return node.Description.Platform?.Architecture ?? '';
  if (key.startsWith('node.labels.')) return node.Spec.Labels?.[key.slice('node.labels.'.length)] ?? '';
  if (key.startsWith('engine.labels.')) return node.Description.Engine?.Labels?.[key.slice('engine.labels.'.length)] ?? '';
  return '';
}

/** All constraints must match (AND); values compare case-insensitively; a missing label is "". */
export function matchConstraints(node: Node, constraints: Constraint[]): boolean {
  for (const c of constraints) {
    const equal = nodeValue(node, c.key).toLowerCase() === c.value.toLowerCase();
    if ((c.op === '==') !== equal) return false;
  }
  return true;
}

/** A node filter for placement constraints, or undefined when they cannot be parsed. */
export function constraintMatcher(exprs: readonly string[]): ((node: Node) => boolean) | undefined {
  if (exprs.length === 0) return () => true;
  try {
    const constraints = parseConstraints([...exprs]);
    return (node) => matchConstraints(node, constraints);
  } catch {
    return undefined;
  }
}
