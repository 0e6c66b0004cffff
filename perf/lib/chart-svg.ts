/**
 * A load scenario's chart as a standalone SVG (no script, no fonts or styles from elsewhere):
 * request rate (OK) with the failures as red bars, and p50/p99 latency, over time; vertical
 * markers for the update steps, kills and phases, each a `<g class="marker …">` with the time in
 * `data-at-ms` and the whole text in a `<title>` (a browser shows it on hover).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Timeline } from './timeline.js';

export type MarkerKind = 'update-step' | 'update' | 'kill' | 'event' | 'phase';

export interface ChartMarker {
  /** Epoch ms. */
  atMs: number;
  kind: MarkerKind;
  /** Short text drawn at the line ("1", "kill"). */
  short: string;
  /** The full text (the `<title>`). */
  label: string;
}

export interface ChartInput {
  title: string;
  subtitle?: string;
  timeline: Timeline;
  markers: ChartMarker[];
}

const W = 960;
const LEFT = 64;
const RIGHT = 24;
const RATE = { top: 96, height: 150 };
const LAT = { top: 286, height: 150 };
const H = LAT.top + LAT.height + 52;
const COLOURS: Record<MarkerKind, string> = { 'update-step': '#2f6fdd', update: '#173f8a', kill: '#c62828', event: '#8a4b00', phase: '#9aa3ad' };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1, 2, 5 × 10^k at or above x. */
function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

const fmt = (x: number) => (Math.abs(x) >= 100 || Number.isInteger(x) ? String(Math.round(x)) : x.toFixed(1));

export function loadChartSvg(input: ChartInput): string {
  const { timeline, markers } = input;
  const b = timeline.buckets;
  const perSecond = 1000 / timeline.bucketMs;
  const endMs = Math.max(timeline.bucketMs, b.length * timeline.bucketMs, ...markers.map((m) => m.atMs - timeline.startedAt));
  const plotW = W - LEFT - RIGHT;
  const x = (ms: number) => LEFT + (Math.max(0, Math.min(endMs, ms)) / endMs) * plotW;
  const rateMax = niceCeil(Math.max(1, ...b.map((k) => (k.ok + k.errors) * perSecond)));
  const latMax = niceCeil(Math.max(1, ...b.map((k) => k.p99Ms)));
  const yRate = (v: number) => RATE.top + RATE.height - (v / rateMax) * RATE.height;
  const yLat = (v: number) => LAT.top + LAT.height - (Math.min(v, latMax) / latMax) * LAT.height;
  const mid = (i: number) => x((i + 0.5) * timeline.bucketMs);
  const line = (pts: Array<[number, number]>) => pts.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
  const errors = b.reduce((n, k) => n + k.errors, 0);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(input.title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${escapeXml(input.title)}</text>`);
  if (input.subtitle) out.push(`<text x="${LEFT}" y="36" fill="#555">${escapeXml(input.subtitle)}</text>`);
  out.push(legend());
  out.push(...axes('requests/s', RATE, rateMax, yRate), ...axes('latency ms', LAT, latMax, yLat));
  out.push(...timeAxis(endMs, x));
  out.push(`<g class="series errors" data-total="${errors}">${b.map((k, i) => k.errors > 0
    ? `<rect x="${(x(i * timeline.bucketMs)).toFixed(1)}" y="${yRate(k.errors * perSecond).toFixed(1)}" width="${Math.max(1, x(timeline.bucketMs) - x(0)).toFixed(1)}" height="${(RATE.top + RATE.height - yRate(k.errors * perSecond)).toFixed(1)}" fill="#c62828"/>`
    : '').join('')}</g>`);
  out.push(`<path class="series rate" d="${line(b.map((k, i) => [mid(i), yRate(k.ok * perSecond)]))}" fill="none" stroke="#2e7d32" stroke-width="1.5"/>`);
  const withLatency = b.map((k, i) => ({ k, i })).filter(({ k }) => k.ok + k.errors > 0);
  out.push(`<path class="series p50" d="${line(withLatency.map(({ k, i }) => [mid(i), yLat(k.p50Ms)]))}" fill="none" stroke="#2f6fdd" stroke-width="1.5"/>`);
  out.push(`<path class="series p99" d="${line(withLatency.map(({ k, i }) => [mid(i), yLat(k.p99Ms)]))}" fill="none" stroke="#ef6c00" stroke-width="1.5"/>`);
  for (const m of [...markers].sort((a, c) => a.atMs - c.atMs)) out.push(marker(m, x(m.atMs - timeline.startedAt), timeline.startedAt));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function legend(): string {
  const items: Array<[string, string, string]> = [
    ['#2e7d32', 'line', 'OK requests/s'], ['#c62828', 'bar', 'failed requests/s'], ['#2f6fdd', 'line', 'p50'], ['#ef6c00', 'line', 'p99'],
    [COLOURS['update-step'], 'dash', 'update step'], [COLOURS.update, 'dash', 'update start/end'], [COLOURS.kill, 'dash', 'kill'],
    [COLOURS.event, 'dash', 'seen by the cluster'], [COLOURS.phase, 'dash', 'load phase'],
  ];
  let px = LEFT;
  const parts = items.map(([c, kind, text]) => {
    const sym = kind === 'bar' ? `<rect x="${px}" y="50" width="12" height="8" fill="${c}"/>`
      : `<line x1="${px}" y1="54" x2="${px + 14}" y2="54" stroke="${c}" stroke-width="2"${kind === 'dash' ? ' stroke-dasharray="3,2"' : ''}/>`;
    const s = `${sym}<text x="${px + 18}" y="58">${escapeXml(text)}</text>`;
    px += Math.round(26 + text.length * 6.2);
    return s;
  });
  return `<g class="legend">${parts.join('')}</g>`;
}

function axes(label: string, panel: { top: number; height: number }, max: number, y: (v: number) => number): string[] {
  const out = [`<rect x="${LEFT}" y="${panel.top}" width="${W - LEFT - RIGHT}" height="${panel.height}" fill="none" stroke="#ccc"/>`];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    out.push(`<line x1="${LEFT}" y1="${y(v).toFixed(1)}" x2="${W - RIGHT}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${fmt(v)}</text>`);
  }
  out.push(`<text transform="translate(14,${panel.top + panel.height / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escapeXml(label)}</text>`);
  return out;
}

function timeAxis(endMs: number, x: (ms: number) => number): string[] {
  const step = niceCeil(endMs / 1000 / 12);
  const out: string[] = [];
  for (let s = 0; s * 1000 <= endMs; s += step) {
    out.push(`<text x="${x(s * 1000).toFixed(1)}" y="${LAT.top + LAT.height + 16}" text-anchor="middle" fill="#555">${s}</text>`);
  }
  out.push(`<text x="${LEFT + (W - LEFT - RIGHT) / 2}" y="${LAT.top + LAT.height + 32}" text-anchor="middle" fill="#333">seconds</text>`);
  return out;
}

function marker(m: ChartMarker, px: number, startedAt: number): string {
  const c = COLOURS[m.kind];
  const top = RATE.top - 8;
  const bottom = LAT.top + LAT.height;
  const textY = m.kind === 'phase' ? bottom + 44 : m.kind === 'update-step' ? top - 2 : top - 14;
  return `<g class="marker ${m.kind}" data-kind="${m.kind}" data-at-ms="${m.atMs}" data-t="${((m.atMs - startedAt) / 1000).toFixed(3)}">`
    + `<title>${escapeXml(m.label)}</title>`
    + `<line x1="${px.toFixed(1)}" y1="${top}" x2="${px.toFixed(1)}" y2="${bottom}" stroke="${c}" stroke-width="1" stroke-dasharray="4,3"/>`
    + `<text x="${px.toFixed(1)}" y="${textY}" text-anchor="middle" fill="${c}">${escapeXml(m.short)}</text></g>`;
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Writes perf/results/<name>.svg; returns the path relative to the repository. */
export function writeChart(name: string, svg: string): string {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${name}.svg`), svg);
  return `perf/results/${name}.svg`;
}
