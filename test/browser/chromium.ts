/**
 * Debian's chromium driven by playwright-core (nothing downloaded): headless, no sandbox (root in
 * CI), no network of its own, a fresh profile per launch. `CHROMIUM` is undefined when the browser
 * is not installed (`apt-get install chromium`); tests then skip with one line.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM: string | undefined = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
export const NO_CHROMIUM = 'no /usr/bin/chromium (apt-get install chromium): browser tests skipped';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTEFACTS = join(root, 'test', 'artefacts');

/** Compiles the page (ui/src → dist/ui) as `npm run build:ui` does, so the test sees the current source. */
export function buildUi(): string {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'ui', 'tsconfig.json')], { stdio: 'inherit' });
  cpSync(join(root, 'ui', 'static'), join(root, 'dist', 'ui'), { recursive: true });
  return join(root, 'dist', 'ui');
}

export async function launchChromium(viewport = { width: 1200, height: 760 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'swarmlet-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM!, headless: true, viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function artefactDir(name: string): string {
  const dir = join(ARTEFACTS, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
