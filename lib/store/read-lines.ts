import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 8 * 1024 * 1024;

/**
 * Calls `onLine` with each line of a file (without its newline; `complete` is false for a last
 * line with no newline) until it returns false. Reads in chunks, so files larger than the
 * longest string V8 can hold are fine as long as each line is not.
 */
export function readLines(path: string, onLine: (line: string, complete: boolean) => boolean): void {
  const fd = openSync(path, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
        if (!onLine(data.toString('utf8', start, nl), true)) return;
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length > 0) onLine(carry.toString('utf8'), false);
  } finally {
    closeSync(fd);
  }
}
