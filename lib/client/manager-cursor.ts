/**
 * The managers a node agent or a gateway may talk to (`--manager URL,URL,URL`, kept as one
 * comma-separated string through every layer) and which one it uses now. On a broken session or
 * stream the caller moves to the next one: any manager forwards to the leader, so whichever answers
 * will do.
 */
export function managerUrls(list: string): string[] {
  const urls = list.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u !== '');
  return urls.length > 0 ? urls : [list];
}

export class ManagerCursor {
  private readonly urls: string[];
  private i = 0;
  constructor(list: string) { this.urls = managerUrls(list); }
  /** The manager in use. */
  current(): string { return this.urls[this.i]!; }
  /** Moves to the next manager (wrapping); returns it. */
  next(): string {
    this.i = (this.i + 1) % this.urls.length;
    return this.current();
  }
  /** True when the cursor just wrapped to the first manager again (a whole round failed). */
  atStart(): boolean { return this.i === 0; }
  get size(): number { return this.urls.length; }
}
