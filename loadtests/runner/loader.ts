/**
 * Loads a bundled k6 script (the same loadtests/dist/<name>.js file real k6 runs) into Node: esbuild rewrites its
 * `k6*` imports to the runner's implementations and emits CommonJS, which is then required.
 */
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';

export const K6_MODULES_GLOBAL = '__gpoK6Modules';

export interface LoadedScript {
  exports: Record<string, unknown>;
}

export async function loadK6Script(bundlePath: string, modules: Record<string, unknown>): Promise<LoadedScript> {
  const result = await build({
    entryPoints: [bundlePath],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    plugins: [{
      name: 'gpo-k6-modules',
      setup(b) {
        b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => ({ path: args.path, namespace: 'k6' }));
        b.onLoad({ filter: /.*/, namespace: 'k6' }, (args) => {
          if (!(args.path in modules)) {
            return { errors:
              [{ text: `${args.path} is not part of the Node runner's k6 subset (it has ${Object.keys(modules).join(', ')}); run this ` +
                `script with k6` }] };
          }
          return { contents: `module.exports = globalThis[${JSON.stringify(K6_MODULES_GLOBAL)}][${JSON.stringify(args.path)}];`, loader:
            'js' };
        });
      },
    }],
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'gpo-k6-'));
  const file = path.join(dir, `${path.basename(bundlePath, '.js')}.cjs`);
  writeFileSync(file, result.outputFiles[0].text);
  (globalThis as Record<string, unknown>)[K6_MODULES_GLOBAL] = modules;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(file) as Record<string, unknown>;
    return { exports };
  } finally {
    delete require.cache[file];
    rmSync(dir, { recursive: true, force: true });
  }
}
