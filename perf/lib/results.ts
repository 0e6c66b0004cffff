/** The suite's results files: perf/results/<date>.json (everything) and <date>.md (a table per scenario). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineLine, type Machine } from './machine.js';
import { formatTarget, formatValue, meets, type ScenarioResult } from './report.js';

export interface ScenarioOutcome extends ScenarioResult {
  seconds: number;
  /** Set when the scenario crashed or printed no JSON line. */
  error?: string;
}

export interface SuiteRun {
  machine: Machine;
  flags: string[];
  startedAt: string;
  seconds: number;
  pass: boolean;
  scenarios: ScenarioOutcome[];
}

/** 2025-01-31_134502 (UTC): sortable, no characters that need quoting. */
export function fileStamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '').replace('T', '_');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(run: SuiteRun): string {
  const lines = [
    `# swarmlet perf run ${run.startedAt}`,
    '',
    `Machine: ${machineLine(run.machine)}.`,
    `Flags: ${run.flags.length > 0 ? run.flags.join(' ') : '(none)'}. Total ${Math.round(run.seconds)} s. Overall: **${run.pass ? 'PASS' : 'FAIL'}**.`,
  ];
  for (const s of run.scenarios) {
    lines.push('', `## ${s.scenario}: ${s.pass ? 'PASS' : 'FAIL'} (${Math.round(s.seconds)} s)`, '');
    if (s.error) lines.push(`Error: ${cell(s.error)}`, '');
    lines.push('| figure | value | target | result |', '| --- | ---: | --- | --- |');
    for (const [name, f] of Object.entries(s.figures)) {
      const t = s.targets[name];
      const result = f.value === null ? `not measured: ${f.note ?? ''}` : !t ? '' : typeof f.value === 'number' && meets(f.value, t) ? 'PASS' : 'FAIL';
      lines.push(`| ${cell(f.label || name)} | ${cell(formatValue(f.value, f.unit))} | ${cell(formatTarget(t))} | ${cell(result)} |`);
    }
    if (s.notes.length > 0) lines.push('', ...s.notes.map((n) => `- ${cell(n)}`));
  }
  return `${lines.join('\n')}\n`;
}

export function writeResults(dir: string, run: SuiteRun): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = fileStamp(new Date(run.startedAt));
  const json = join(dir, `${stamp}.json`);
  const md = join(dir, `${stamp}.md`);
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(md, renderMarkdown(run));
  return { json, md };
}
