import t from 'tap';
import fc from 'fast-check';
import { ndjsonLines } from '../../lib/ndjson-lines.js';

async function all(chunks: Array<Uint8Array | string>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const b of ndjsonLines((async function* () { yield* chunks; })())) out.push(b);
  return out;
}

t.test('one batch per chunk, blank lines skipped, a last line without newline kept', async (t) => {
  t.same(await all(['{"a":1}\n{"b"', ':2}\n\n  \n{"c":3}']), [['{"a":1}'], ['{"b":2}'], ['{"c":3}']]);
  t.same(await all([]), []);
});

t.test('a UTF-8 character cut between chunks is joined', async (t) => {
  const bytes = Buffer.from('{"t":"é€"}\n');
  t.same((await all([bytes.subarray(0, 7), bytes.subarray(7)])).flat(), ['{"t":"é€"}']);
});

t.test('property: the lines do not depend on how the bytes are chunked', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => s.replace(/\s/g, 'x')), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }),
    async (lines, cuts) => {
      const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let at = 0;
      for (const p of [...points, bytes.length]) { chunks.push(bytes.subarray(at, p)); at = p; }
      return JSON.stringify((await all(chunks)).flat()) === JSON.stringify(lines.filter((l) => l !== ''));
    }));
});
