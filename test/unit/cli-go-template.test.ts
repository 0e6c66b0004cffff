import t from 'tap';
import fc from 'fast-check';
import { headerName, parseObjectTemplate, parseRowTemplate, renderRows } from '../../cmd/format/go-template.js';
import { inspectTemplate } from '../../cmd/format/inspect-template.js';

const FIELDS = ['ID', 'Name', 'CurrentState', 'Self'];
const rows = [
  { ID: 'abc', Name: 'web.1', CurrentState: 'Running 5 seconds ago', Self: true },
  { ID: 'defgh', Name: 'web.2', CurrentState: 'Pending', Self: false },
];

t.test('templates render like docker --format (table)', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['{{.Name}}', ['web.1', 'web.2']],
    ['{{.ID}}: {{.Name}}', ['abc: web.1', 'defgh: web.2']],
    ['{{ .Name }}', ['web.1', 'web.2']],
    ['{{upper .Name}}', ['WEB.1', 'WEB.2']],
    ['{{lower .CurrentState}}', ['running 5 seconds ago', 'pending']],
    ['{{json .Name}}', ['"web.1"', '"web.2"']],
    ['{{.Self}}', ['true', 'false']],
    ['{{json .}}', [JSON.stringify(rows[0]), JSON.stringify(rows[1])]],
    ['{{.Name}}\\t{{.ID}}', ['web.1\tabc', 'web.2\tdefgh']],
    ['table {{.ID}}\\t{{.Name}}', ['ID        NAME', 'abc       web.1', 'defgh     web.2']],
    ['table {{.Name}}\\t{{.CurrentState}}', ['NAME      CURRENT STATE', 'web.1     Running 5 seconds ago', 'web.2     Pending']],
  ];
  for (const [format, want] of cases) t.same(renderRows(parseRowTemplate(format, FIELDS), rows), want, format);
});

t.test('bad templates are refused before anything prints, naming the problem', async (t) => {
  t.throws(() => parseRowTemplate('{{.Nope}}', FIELDS), { message: /can't evaluate field Nope \(fields: ID, Name, CurrentState, Self\)/ });
  t.throws(() => parseRowTemplate('{{range .}}x{{end}}', FIELDS), { message: /unsupported action \{\{range \.\}\}/ });
  t.throws(() => parseRowTemplate('{{.Name', FIELDS), { message: /unclosed action/ });
  t.throws(() => parseRowTemplate('{{upper .}}', FIELDS), { message: /needs a field/ });
});

t.test('header names: words in capitals', async (t) => {
  t.equal(headerName('CurrentState'), 'CURRENT STATE');
  t.equal(headerName('ManagerStatus'), 'MANAGER STATUS');
  t.equal(headerName('ID'), 'ID');
  t.equal(headerName('EngineVersion'), 'ENGINE VERSION');
});

t.test('property: text without actions is printed as is for every row', async () => {
  fc.assert(fc.property(fc.string().filter((s) => !s.includes('{{') && !s.includes('\\') && !s.startsWith('table')), (text) => {
    const out = renderRows(parseRowTemplate(text, FIELDS), rows);
    return out.length === 2 && out.every((l) => l === text);
  }));
});

t.test('inspect templates: paths, json, index, upper/lower; <no value> for what is missing; bad actions refused', async (t) => {
  const svc = { ID: 'abc', Spec: { Name: 'web', Labels: { 'swarmlet.rebalance': 'true' }, Mode: { Replicated: { Replicas: 3 } } } };
  const cases: Array<[string, string]> = [
    ['{{.Spec.Name}}', 'web'],
    ['{{.Spec.Mode.Replicated.Replicas}}', '3'],
    ['{{json .Spec.Labels}}', '{"swarmlet.rebalance":"true"}'],
    ['{{index .Spec.Labels "swarmlet.rebalance"}}', 'true'],
    ['{{index .Spec.Labels "nope"}}', '<no value>'],
    ['{{.Spec.Mode.Global}}', '<no value>'],
    ['{{json .Spec.Mode.Global}}', 'null'],
    ['{{upper .Spec.Name}}\\t{{lower .ID}}', 'WEB\tabc'],
    ['name={{.Spec.Name}} mode={{json .Spec.Mode}}', 'name=web mode={"Replicated":{"Replicas":3}}'],
    ['{{json .}}', JSON.stringify(svc)],
  ];
  for (const [format, want] of cases) t.equal(parseObjectTemplate(format).render(svc), want, format);
  for (const bad of ['{{range .Spec}}', '{{.Spec.Name', '{{printf "%s" .ID}}', '{{.spec..name}}']) {
    t.throws(() => parseObjectTemplate(bad), /template: /, `refused: ${bad}`);
  }
  t.throws(() => inspectTemplate({ pretty: true, format: '{{.ID}}' }), { message: '--format is incompatible with human friendly format' });
  t.equal(inspectTemplate({}), undefined);
});
