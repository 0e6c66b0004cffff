/** `service logs` lines: `toms.1.nwzijcja8ho6@node-2    | text` like docker's logs formatter. */
import type { WireLogLine } from '../../lib/protocol/log-frames.js';
import { truncateId } from './text.js';

export interface LogSource {
  serviceName: string;
  slot: number;
  nodeId: string;
  taskId: string;
  nodeName: string;
}

export interface LogPrefixOptions {
  noTrunc: boolean;
  noTaskIds: boolean;
  /** Digits of the service's replica count: slots are padded to line up (web.1 vs web.10). */
  padding: number;
}

/** Number of digits of n (docker's getMaxLength). */
export function digits(n: number): number {
  return String(Math.max(0, Math.trunc(n))).length;
}

export function logPrefix(src: LogSource, opts: LogPrefixOptions): string {
  let name = src.slot > 0 ? `${src.serviceName}.${src.slot}` : `${src.serviceName}.${src.nodeId}`;
  if (!opts.noTaskIds) name += `.${opts.noTrunc ? src.taskId : truncateId(src.taskId)}`;
  const pad = opts.padding - digits(src.slot);
  return `${name}@${src.nodeName}${' '.repeat(Math.max(0, pad))}`;
}

export function formatLogLine(prefix: string, record: WireLogLine, timestamps: boolean): string {
  const time = timestamps && record.time ? `${record.time} ` : '';
  return `${time}${prefix}    | ${record.text}`;
}
