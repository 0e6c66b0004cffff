/** Command-line flags shared by the perf scenarios: --json, --quick, --name value. */
export interface PerfArgs {
  json: boolean;
  quick: boolean;
  /** Positional arguments (not flags, not flag values). */
  positional: string[];
  /** `--name value` (or `--name=value`), else the fallback. */
  get(name: string, fallback: string): string;
  num(name: string, fallback: number): number;
}

const BOOLEAN_FLAGS = new Set(['json', 'quick', 'no-large', 'no-pin', 'cpu-prof', 'no-clinic']);

export function parseArgs(argv: string[] = process.argv.slice(2)): PerfArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) values.set(name, a.slice(eq + 1));
    else if (!BOOLEAN_FLAGS.has(name) && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) values.set(name, argv[++i]!);
    else flags.add(name);
  }
  return {
    json: flags.has('json'),
    quick: flags.has('quick'),
    positional,
    get: (name, fallback) => values.get(name) ?? (flags.has(name) ? 'true' : fallback),
    num: (name, fallback) => {
      const v = values.get(name);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`--${name} ${v}: expected a number`);
      return n;
    },
  };
}
