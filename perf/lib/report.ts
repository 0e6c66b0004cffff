/**
 * A scenario's figures, each printed next to its target as it is measured, and with --json one
 * JSON object on the last stdout line: {scenario, figures: {name: {value, unit, label}},
 * targets: {name: {op, value, unit}}, pass, notes}.
 *
 * A figure that could not be measured has value null and a note saying why; its target (if any)
 * is then neither met nor failed, and does not change `pass`.
 */

export type FigureValue = number | string | null;
export type TargetOp = '<=' | '>=' | '==';

export interface Figure { value: FigureValue; unit: string; label: string; note?: string }
export interface Target { op: TargetOp; value: number; unit: string }

export interface ScenarioResult {
  scenario: string;
  figures: Record<string, Figure>;
  targets: Record<string, Target>;
  pass: boolean;
  notes: string[];
}

export interface FigureOptions {
  /** The figure must meet this. */
  target?: { op: TargetOp; value: number };
  /** Significant digits kept (default 4). */
  digits?: number;
}

/** Rounds to `digits` significant digits (integers above that are kept whole). */
export function roundTo(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const magnitude = Math.floor(Math.log10(Math.abs(x))) + 1;
  const decimals = Math.max(0, digits - magnitude);
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

export function meets(value: number, target: { op: TargetOp; value: number }): boolean {
  if (target.op === '<=') return value <= target.value;
  if (target.op === '>=') return value >= target.value;
  return value === target.value;
}

const OP_TEXT: Record<TargetOp, string> = { '<=': '≤', '>=': '≥', '==': '=' };

export function formatValue(value: FigureValue, unit: string): string {
  if (value === null) return 'not measured';
  const v = typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 4 }) : value;
  return unit ? `${v} ${unit}` : String(v);
}

export function formatTarget(t: Target | undefined): string {
  if (!t) return '';
  return `${OP_TEXT[t.op]} ${formatValue(t.value, t.unit)}`;
}

/** Collects one scenario's figures; prints each line as it comes. */
export class Report {
  private readonly figures: Record<string, Figure> = {};
  private readonly targets: Record<string, Target> = {};
  private readonly notes: string[] = [];
  private failed = 0;

  constructor(readonly scenario: string, private readonly print: (line: string) => void = (l) => console.log(l)) {}

  /** Records a figure and prints `label: value unit   (target ≤ x: PASS)`. */
  figure(name: string, label: string, value: number | string, unit: string, opts: FigureOptions = {}): void {
    const v = typeof value === 'number' ? roundTo(value, opts.digits ?? 4) : value;
    this.figures[name] = { value: v, unit, label };
    let suffix = '';
    if (opts.target) {
      const target: Target = { ...opts.target, unit };
      this.targets[name] = target;
      const ok = typeof v === 'number' && meets(v, target);
      if (!ok) this.failed++;
      suffix = `   target ${formatTarget(target)}: ${ok ? 'PASS' : 'FAIL'}`;
    }
    this.print(`  ${label.padEnd(56)} ${formatValue(v, unit).padStart(14)}${suffix}`);
  }

  /** A figure this machine or this build cannot measure: printed and recorded as such, never faked. */
  notMeasured(name: string, label: string, unit: string, reason: string, target?: { op: TargetOp; value: number }): void {
    this.figures[name] = { value: null, unit, label, note: reason };
    if (target) this.targets[name] = { ...target, unit };
    this.print(`  ${label.padEnd(56)} not measured: ${reason}`);
  }

  note(text: string): void {
    this.notes.push(text);
    this.print(`  (${text})`);
  }

  heading(text: string): void { this.print(`\n${text}`); }

  get pass(): boolean { return this.failed === 0; }

  result(): ScenarioResult {
    return { scenario: this.scenario, figures: this.figures, targets: this.targets, pass: this.pass, notes: this.notes };
  }

  /** Prints PASS/FAIL, then the JSON line when asked; sets the exit code. */
  finish(json: boolean): ScenarioResult {
    const r = this.result();
    this.print(`\n${this.scenario}: ${r.pass ? 'PASS' : `FAIL (${this.failed} figure(s) off target)`}`);
    if (json) this.print(JSON.stringify(r));
    process.exitCode = r.pass ? 0 : 1;
    return r;
  }
}
