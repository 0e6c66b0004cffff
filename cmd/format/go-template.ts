/**
 * The part of Go's text/template that `docker … ls --format` users write: `{{.Field}}`,
 * `{{json .}}`, `{{json .Field}}`, `{{upper .Field}}`, `{{lower .Field}}`, `{{println …}}`-free text,
 * `\t` and `\n` escapes, and docker's `table ` prefix (a header row from the field names, columns
 * aligned like docker's tabwriter). Anything else is refused with docker's kind of error.
 */
import { cliError } from '../errors.js';
import { formatTable } from './table.js';

type Piece = { text: string } | { fn: 'field' | 'json' | 'upper' | 'lower'; field: string | undefined };

export interface RowTemplate {
  table: boolean;
  /** One output line (or, for tables, one row of tab-separated cells) per row. */
  render(row: object): string;
  /** The table's header cells: the fields' names as docker prints them (`CurrentState` → `CURRENT STATE`). */
  header(): string;
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;

/** Splits a template into text and `{{…}}` actions (each turned into a piece by `action`). */
function scan<P>(source: string, format: string, action: (text: string) => P): Array<{ text: string } | P> {
  const pieces: Array<{ text: string } | P> = [];
  let at = 0;
  for (const m of source.matchAll(ACTION)) {
    if (m.index! > at) pieces.push({ text: source.slice(at, m.index) });
    pieces.push(action(m[1]!));
    at = m.index! + m[0].length;
  }
  if (at < source.length) pieces.push({ text: source.slice(at) });
  if (source.slice(at).includes('{{')) throw cliError(`template: unclosed action in "${format}"`);
  return pieces;
}

const unescape = (s: string): string => s.replace(/\\t/g, '\t').replace(/\\n/g, '\n');

/** Parses a template against the fields a row has; unknown fields and functions are errors now, not per row. */
export function parseRowTemplate(format: string, fields: readonly string[]): RowTemplate {
  let source = format;
  const table = source.startsWith('table ') || source === 'table';
  if (table) source = source.slice('table'.length).trimStart();
  const pieces = scan(unescape(source), format, (a) => parseAction(a, fields));
  return {
    table,
    render: (row) => pieces.map((p) => ('text' in p ? p.text : apply(p, row))).join(''),
    header: () => pieces.map((p) => ('text' in p ? p.text : p.field ? headerName(p.field) : '')).join(''),
  };
}

function parseAction(action: string, fields: readonly string[]): Piece {
  const m = /^(?:(json|upper|lower)\s+)?(\.|\.([A-Za-z][A-Za-z0-9]*))$/.exec(action);
  if (!m) throw cliError(`template: unsupported action {{${action}}} (supported: {{.Field}}, {{json .}}, {{json .Field}}, {{upper .Field}}, {{lower .Field}})`);
  const fn = (m[1] ?? 'field') as 'field' | 'json' | 'upper' | 'lower';
  const field = m[3];
  if (field !== undefined && !fields.includes(field)) {
    throw cliError(`template: can't evaluate field ${field} (fields: ${fields.join(', ')})`);
  }
  if (field === undefined && fn !== 'json') throw cliError(`template: {{${action}}} needs a field, like {{.${fields[0] ?? 'ID'}}}`);
  return { fn, field };
}

function apply(p: { fn: string; field: string | undefined }, row: object): string {
  const value = p.field === undefined ? row : (row as Record<string, unknown>)[p.field];
  if (p.fn === 'json') return JSON.stringify(value);
  const text = String(value ?? '');
  return p.fn === 'upper' ? text.toUpperCase() : p.fn === 'lower' ? text.toLowerCase() : text;
}

/** Docker's header for a field: words of its name in capitals (`ManagerStatus` → `MANAGER STATUS`). */
export function headerName(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase();
}

/** The lines a row template prints for `rows`: one per row, or an aligned table with its header. */
export function renderRows(t: RowTemplate, rows: readonly object[]): string[] {
  if (!t.table) return rows.map((r) => t.render(r));
  const split = (line: string) => line.split('\t');
  return formatTable(split(t.header()), rows.map((r) => split(t.render(r))));
}

type ObjectPiece = { text: string } | { fn: 'field' | 'json' | 'upper' | 'lower'; path: string[]; key: string | undefined };

/**
 * `inspect --format`: `{{.Spec.Name}}`-style paths into the inspected object, `{{json .Path}}`,
 * `{{upper …}}`, `{{lower …}}` and `{{index .Spec.Labels "key"}}`. Something missing prints
 * `<no value>` (as Go does for a missing map key); an object or list prints as JSON.
 */
export function parseObjectTemplate(format: string): { render(obj: unknown): string } {
  const pieces = scan<ObjectPiece>(unescape(format), format, parseObjectAction);
  return { render: (obj) => pieces.map((p) => ('text' in p ? p.text : applyToObject(p, obj))).join('') };
}

const PATH = String.raw`\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?`;
const OBJECT_ACTION = new RegExp(String.raw`^(?:(json|upper|lower)\s+)?(?:(${PATH})|\(?index\s+(${PATH})\s+"([^"]*)"\)?)$`);

function parseObjectAction(action: string): ObjectPiece {
  const m = OBJECT_ACTION.exec(action);
  if (!m) throw cliError(`template: unsupported action {{${action}}} (supported: {{.Path.To.Field}}, {{json .Path}}, {{upper .Path}}, {{lower .Path}}, {{index .Path "key"}})`);
  const fn = (m[1] ?? 'field') as 'field' | 'json' | 'upper' | 'lower';
  const path = (m[2] ?? m[3]!).split('.').filter((x) => x !== '');
  return { fn, path, key: m[2] === undefined ? m[4] : undefined };
}

function applyToObject(p: { fn: string; path: string[]; key: string | undefined }, obj: unknown): string {
  let value: unknown = obj;
  for (const name of p.key === undefined ? p.path : [...p.path, p.key]) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
  }
  if (p.fn === 'json') return JSON.stringify(value ?? null);
  if (value === undefined || value === null) return '<no value>';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return p.fn === 'upper' ? text.toUpperCase() : p.fn === 'lower' ? text.toLowerCase() : text;
}
