import t from 'tap';
import { progressBar, progressLine, renderPlain, renderTty } from '../../cmd/format/progress-render.js';

t.test('bar like docker JSONProgress (50 wide)', async (t) => {
  t.equal(progressBar(9, 9), `[${'='.repeat(50)}>]`);
  t.equal(progressBar(0, 9), `[>${' '.repeat(50)}]`);
  t.equal(progressBar(3, 9), `[${'='.repeat(16)}>${' '.repeat(34)}]`);
  t.equal(progressBar(20, 9), `[${'='.repeat(50)}>]`, 'clamped');
});

t.test('a slot line on a TTY carries the bar; plain lines do not', async (t) => {
  const item = { id: '1/3', action: 'running  ', bar: { current: 9, total: 9 } };
  t.equal(progressLine(item, true), `1/3: running   [${'='.repeat(50)}>]`);
  t.equal(progressLine(item, false), '1/3: running');
});

t.test('TTY: redraw moves the cursor up over the previous drawing', async (t) => {
  const items = [{ id: 'overall progress', action: '1 out of 2 tasks' }, { id: '1/2', action: 'running  ', bar: { current: 9, total: 9 } }];
  const first = renderTty(items, 0);
  t.equal(first.lines, 2);
  t.equal(first.text, `\x1b[2K\roverall progress: 1 out of 2 tasks\n\x1b[2K\r1/2: running   [${'='.repeat(50)}>]\n`);
  const second = renderTty(items, 2);
  t.ok(second.text.startsWith('\x1b[2A\x1b[2K\r'));
});

t.test('plain: prints a line only when its text (or dedupe key) changes; skips blank slots', async (t) => {
  const a = renderPlain([{ id: '1/2', action: '' }, { id: '1/2', action: 'starting ' }, { id: 'verify', action: 'Waiting 5 seconds', dedupe: 'w' }], {});
  t.same(a.lines, ['1/2: starting', 'verify: Waiting 5 seconds']);
  const b = renderPlain([{ id: '1/2', action: 'starting ' }, { id: 'verify', action: 'Waiting 4 seconds', dedupe: 'w' }], a.printed);
  t.same(b.lines, []);
  const c = renderPlain([{ id: '1/2', action: 'running  ' }, { id: 'verify', action: 'Service x converged' }], b.printed);
  t.same(c.lines, ['1/2: running', 'verify: Service x converged']);
});
