import t from 'tap';
import fc from 'fast-check';
import { displayWidth, formatTable } from '../../cmd/format/table.js';

t.test('columns are padded like docker tabwriter (minwidth 10, padding 3), last column unpadded', async (t) => {
  const lines = formatTable(['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'], [
    ['abcdefghijkl', 'toms', 'replicated', '3/3', 'whoami:1', '*:9000->8080/tcp'],
  ]);
  t.same(lines, [
    'ID             NAME      MODE         REPLICAS   IMAGE      PORTS',
    'abcdefghijkl   toms      replicated   3/3        whoami:1   *:9000->8080/tcp',
  ]);
});

t.test('trailing empty cells leave no trailing spaces', async (t) => {
  const lines = formatTable(['A', 'B', 'C'], [['x', 'y', '']]);
  t.equal(lines[1], 'x         y');
});

t.test('widths count code points (… is one column)', async (t) => {
  const lines = formatTable(['ERROR', 'X'], [['"abcdefghij…"', 'x'], ['short', 'y']]);
  t.equal(lines[1]!.indexOf('x'), lines[2]!.indexOf('y'));
  t.equal(displayWidth('a…b'), 3);
});

t.test('property: each cell starts at its column offset, columns are >= 3 apart and >= 10 wide', async (t) => {
  const cell = fc.string({ minLength: 0, maxLength: 15 }).map((s) => s.replace(/\s/g, 'x'));
  await fc.assert(fc.property(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 6 }), (rows) => {
    const all = [['AA', 'BB', 'CC'], ...rows.map((r) => [...r])];
    const lines = formatTable(all[0]!, all.slice(1));
    const w0 = Math.max(...all.map((r) => displayWidth(r[0]!)));
    const w1 = Math.max(...all.map((r) => displayWidth(r[1]!)));
    const offsets = [0, Math.max(w0 + 3, 10)];
    offsets.push(offsets[1]! + Math.max(w1 + 3, 10));
    return lines.every((line, i) => all[i]!.every((c, col) => [...line].slice(offsets[col]!, offsets[col]! + displayWidth(c)).join('') === c));
  }));
});
