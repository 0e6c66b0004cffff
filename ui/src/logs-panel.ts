/**
 * Logs of a service or a task, followed (GET …/logs?follow=1): the stdcopy frames (8-byte header,
 * stream id 1/2/3) are split into lines; a TTY service sends raw text. Keeps the last 2,000 lines.
 */
import type { Api } from './api.js';
import { byId } from './dom.js';

const MAX_LINES = 2000;

export class LogsPanel {
  private abort: AbortController | undefined;
  private readonly root = byId('logs');
  private readonly pre = this.root.querySelector('pre')!;
  private readonly title = this.root.querySelector('.title')!;

  constructor(private readonly api: Api) {}

  open(kind: 'services' | 'tasks', id: string, name: string): void {
    this.close();
    const abort = (this.abort = new AbortController());
    this.root.hidden = false;
    this.root.dataset.target = name;
    this.title.textContent = `logs of ${name} (following)`;
    this.pre.textContent = '';
    const q = 'stdout=1&stderr=1&follow=1&tail=200&timestamps=1';
    void this.api.request(`/${kind}/${encodeURIComponent(id)}/logs?${q}`, { signal: abort.signal })
      .then((res) => readFrames(res, (stream, text) => this.append(stream, text)))
      .then(() => { if (!abort.signal.aborted) this.title.textContent = `logs of ${name} (ended)`; })
      .catch((e: Error) => { if (!abort.signal.aborted) this.title.textContent = `logs of ${name}: ${e.message}`; });
  }

  close(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.root.hidden = true;
  }

  private append(stream: number, text: string): void {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const div = document.createElement('div');
      div.className = stream === 2 ? 'stderr' : stream === 3 ? 'system' : 'stdout';
      div.textContent = line;
      this.pre.append(div);
    }
    while (this.pre.childElementCount > MAX_LINES) this.pre.firstElementChild?.remove();
    this.pre.scrollTop = this.pre.scrollHeight;
  }
}

async function readFrames(res: Response, onText: (stream: number, text: string) => void): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = new Uint8Array(0);
  let raw: boolean | undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (raw === undefined && value.length > 0) raw = value[0]! > 3 || (value.length >= 4 && (value[1] !== 0 || value[2] !== 0 || value[3] !== 0));
    if (raw) {
      onText(1, decoder.decode(value, { stream: true }));
      continue;
    }
    const next = new Uint8Array(buf.length + value.length);
    next.set(buf);
    next.set(value, buf.length);
    buf = next;
    while (buf.length >= 8) {
      const size = new DataView(buf.buffer, buf.byteOffset + 4, 4).getUint32(0);
      if (buf.length < 8 + size) break;
      onText(buf[0]!, new TextDecoder().decode(buf.subarray(8, 8 + size)));
      buf = buf.slice(8 + size);
    }
  }
}
