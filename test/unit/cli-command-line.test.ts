import t from 'tap';
import fc from 'fast-check';
import { joinCommandLine, splitCommandLine } from '../../cmd/format/command-line.js';

t.test('splits like a shell', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['node server.js', ['node', 'server.js']],
    ['  node   server.js  ', ['node', 'server.js']],
    [`node -e "console.log('hi')"`, ['node', '-e', "console.log('hi')"]],
    [`echo 'a "b" c'`, ['echo', 'a "b" c']],
    [`echo "a \\"b\\" \\\\ c"`, ['echo', 'a "b" \\ c']],
    [`echo "\\n"`, ['echo', '\\n']],
    [`a\\ b c`, ['a b', 'c']],
    [`x'y'"z"`, ['xyz']],
    [`""`, ['']],
    [`a '' b`, ['a', '', 'b']],
    ['', []],
  ];
  for (const [text, argv] of cases) t.same(splitCommandLine(text), argv, text);
});

t.test('unterminated quotes and trailing backslash are errors', async (t) => {
  t.throws(() => splitCommandLine(`node "abc`), { message: /unterminated double quote/ });
  t.throws(() => splitCommandLine(`node 'abc`), { message: /unterminated single quote/ });
  t.throws(() => splitCommandLine('node \\'), { message: /trailing backslash/ });
});

t.test('join quotes only what needs it', async (t) => {
  t.equal(joinCommandLine(['node', 'server.js', '--port=8080']), 'node server.js --port=8080');
  t.equal(joinCommandLine(['echo', 'a b', "it's", '']), `echo 'a b' 'it'\\''s' ''`);
});

t.test('property: split(join(argv)) == argv', async (t) => {
  await fc.assert(fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 6 }), (argv) => {
    return JSON.stringify(splitCommandLine(joinCommandLine(argv))) === JSON.stringify(argv);
  }));
});
