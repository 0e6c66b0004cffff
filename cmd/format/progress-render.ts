/** Drawing the convergence progress: redrawn in place on a TTY, plain deduplicated lines otherwise. */
import type { ProgressItem } from '../progress-slots.js';

const BAR_WIDTH = 50;

/** Docker's JSONProgress bar: `[=====>      ]` (50 wide). */
export function progressBar(current: number, total: number): string {
  const pct = total <= 0 ? 0 : Math.min(BAR_WIDTH, Math.max(0, Math.floor(Math.floor((current / total) * 100) / 2)));
  return `[${'='.repeat(pct)}>${' '.repeat(BAR_WIDTH - pct)}]`;
}

export function progressLine(item: ProgressItem, tty: boolean): string {
  const bar = tty && item.bar ? ` ${progressBar(item.bar.current, item.bar.total)}` : '';
  return `${item.id ? `${item.id}: ` : ''}${item.action}${bar}`.replace(/\s+$/, '');
}

/** Moves the cursor up over the previous drawing and redraws every item (one line each). */
export function renderTty(items: ProgressItem[], previousLines: number): { text: string; lines: number } {
  let text = previousLines > 0 ? `\x1b[${previousLines}A` : '';
  for (const item of items) text += `\x1b[2K\r${progressLine(item, true)}\n`;
  return { text, lines: items.length };
}

/** Lines to print for the items updated by one poll: only those whose text (or dedupe key) changed. */
export function renderPlain(emitted: ProgressItem[], printed: Readonly<Record<string, string>>): { lines: string[]; printed: Record<string, string> } {
  const next = { ...printed };
  const lines: string[] = [];
  for (const item of emitted) {
    if (item.action.trim() === '') continue;
    const line = progressLine(item, false);
    const key = item.dedupe ?? line;
    if (next[item.id] === key) continue;
    next[item.id] = key;
    lines.push(line);
  }
  return { lines, printed: next };
}
