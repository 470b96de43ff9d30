/**
 * Bundles the TypeScript k6 scripts (loadtests/k6/*.ts) into plain ES modules real k6 loads
 * (loadtests/dist/<name>.js). k6's own modules stay imports; everything else (lib/) is inlined.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { build } from 'esbuild';

export const LOADTESTS_DIR = __dirname;
export const K6_SOURCE_DIR = path.join(__dirname, 'k6');
export const DEFAULT_DIST_DIR = path.join(__dirname, 'dist');
export const SCRIPTS = ['bulk-disbursement', 'fspiop-e2e', 'fspiop-bulk'] as const;
export type ScriptName = (typeof SCRIPTS)[number];

/** Modules provided by k6 itself (and by the Node runner's k6-compatible subset). */
export const K6_EXTERNALS = ['k6', 'k6/*'];

export async function bundleScript(name: string, outDir = DEFAULT_DIST_DIR): Promise<string> {
  if (!(SCRIPTS as readonly string[]).includes(name)) throw new Error(`unknown k6 script "${name}" (known: ${SCRIPTS.join(', ')})`);
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `${name}.js`);
  await build({
    entryPoints: [path.join(K6_SOURCE_DIR, `${name}.ts`)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2020',
    external: K6_EXTERNALS,
    sourcemap: false,
    logLevel: 'silent',
    legalComments: 'none',
    banner: { js: `// GPO load test "${name}", bundled from loadtests/k6/${name}.ts for k6 (and GPO's k6-compatible Node runner).` },
  });
  return outfile;
}

export async function bundleAll(outDir = DEFAULT_DIST_DIR): Promise<string[]> {
  const out: string[] = [];
  for (const s of SCRIPTS) out.push(await bundleScript(s, outDir));
  return out;
}

if (require.main === module) {
  bundleAll(process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_DIST_DIR).then((files) => {
    for (const f of files) console.log(`bundled ${path.relative(process.cwd(), f)}`);
  }).catch((err) => {
    console.error(`bundle failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
