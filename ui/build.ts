/**
 * Builds what browsers load, from the committed sources, with esbuild (npm ci runs it as `prepare`):
 * - ui/dist/: the operator console (ui/src, Preact), served by the orchestrator at /ui;
 * - loadtests/report/dist/report-client.js: the load report's chart code (uPlot and its CSS), inlined into every
 *   HTML report so the report opens offline.
 * A production install (no dev dependencies) has nothing to build with: it says so and leaves the files as they are.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');
export const CONSOLE_SRC = path.join(ROOT, 'ui', 'src');
export const CONSOLE_DIST = path.join(ROOT, 'ui', 'dist');
export const REPORT_CLIENT = path.join(ROOT, 'loadtests', 'report', 'dist', 'report-client.js');

function available(module: string): boolean {
  try {
    require.resolve(module, { paths: [ROOT] });
    return true;
  } catch {
    return false;
  }
}

export async function buildAll(): Promise<string[]> {
  const missing = ['esbuild', 'preact', 'uplot'].filter((m) => !available(m));
  if (missing.length) {
    console.warn(`build skipped: ${missing.join(', ')} not installed (a production install); the console and the load report charts need ` +
      `\`npm ci\` with dev dependencies`);
    return [];
  }
  const { build } = await import('esbuild');
  const common: import('esbuild').BuildOptions = { bundle: true, minify: true, sourcemap: false, legalComments: 'none', logLevel: 'warning',
    target: ['chrome100', 'firefox100', 'safari15'] };
  mkdirSync(CONSOLE_DIST, { recursive: true });
  await build({ ...common, entryPoints: [path.join(CONSOLE_SRC, 'main.tsx')], outfile: path.join(CONSOLE_DIST, 'console.js'), format:
    'iife', jsx: 'automatic', jsxImportSource: 'preact' });
  await build({ ...common, entryPoints: [path.join(CONSOLE_SRC, 'console.css')], outfile: path.join(CONSOLE_DIST, 'console.css') });
  copyFileSync(path.join(CONSOLE_SRC, 'index.html'), path.join(CONSOLE_DIST, 'index.html'));
  await build({ ...common, entryPoints: [path.join(ROOT, 'loadtests', 'report', 'client', 'report.ts')], outfile: REPORT_CLIENT, format:
    'iife', loader: { '.css': 'text' } });
  return [path.join(CONSOLE_DIST, 'index.html'), path.join(CONSOLE_DIST, 'console.js'), path.join(CONSOLE_DIST, 'console.css'),
    REPORT_CLIENT];
}

if (require.main === module) {
  buildAll().then((files) => {
    for (const f of files) console.log(`built ${path.relative(process.cwd(), f)}`);
  }).catch((err) => {
    console.error(`build failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
