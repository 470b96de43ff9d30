/**
 * A real browser for the tests that look at pages: Debian's Chromium (installed by .ci/run with apt-get) driven
 * by playwright-core, which never downloads a browser of its own. Headless, no network beyond loopback, a fresh
 * profile each launch. Screenshots go to ci-output/ (git-ignored; CI keeps it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.GPO_CHROMIUM ?? '/usr/bin/chromium';
export const CI_OUTPUT = path.join(__dirname, '..', '..', 'ci-output');

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

export interface Browser {
  context: BrowserContext;
  page(width?: number, height?: number): Promise<Page>;
  close(): Promise<void>;
}

/** Chromium with a fresh --user-data-dir (playwright passes the directory as that flag). */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'gpo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1366, height: 900 }, acceptDownloads: true,
  });
  return {
    context,
    async page(width = 1366, height = 900) {
      const p = await context.newPage();
      await p.setViewportSize({ width, height });
      return p;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(CI_OUTPUT, { recursive: true });
  const file = path.join(CI_OUTPUT, `${name}.png`);
  // from the top, so the sticky header sits where a person sees it
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** True when the page is wider than its window (a horizontal scroll bar). */
export async function scrollsSideways(page: Page): Promise<boolean> {
  // a string: the tests are type-checked without the DOM library
  return (await page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1')) as boolean;
}
