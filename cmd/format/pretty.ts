/** `inspect --pretty` helpers: aligned "Label:  value" lines, byte sizes, CPUs. */
export type PrettyEntry = [label: string, value?: string | number | boolean];

const WIDTH = 20;

export function prettyLines(entries: Array<PrettyEntry | undefined | false>): string[] {
  const lines: string[] = [];
  for (const e of entries) {
    if (!e) continue;
    const [label, value] = e;
    lines.push(value === undefined ? label : `${`${label}`.padEnd(WIDTH - 1)} ${value}`.replace(/\s+$/, ''));
  }
  return lines;
}

/** go-units BytesSize: 1024-based, 4 significant digits ("64MiB", "1.5GiB"). */
export function bytesSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${Number(value.toPrecision(4))}${units[i]}`;
}

export function cpus(nanoCpus: number): string {
  return String(Number((nanoCpus / 1e9).toFixed(3)));
}
