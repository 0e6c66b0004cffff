/**
 * Tables like docker's tabwriter (minwidth 10, padding 3, left aligned): every column but the
 * last is padded to max(widest cell + 3, 10); the last column is not padded.
 */
const MIN_WIDTH = 10;
const PADDING = 3;

/** Display width: code points (what Go's tabwriter counts), not UTF-16 units. */
export function displayWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : [...text].length;
}

export function formatTable(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  let columns = 0;
  for (const r of all) if (r.length > columns) columns = r.length;
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) {
    let widest = 0;
    for (const r of all) { const w = displayWidth(r[c] ?? ''); if (w > widest) widest = w; }
    widths.push(Math.max(widest + PADDING, MIN_WIDTH));
  }
  return all.map((row) => {
    let line = '';
    for (let c = 0; c < columns; c++) {
      const cell = row[c] ?? '';
      const width = widths[c];
      line += width === undefined ? cell : cell + ' '.repeat(width - displayWidth(cell));
    }
    return line.trimEnd();
  });
}
