/**
 * The collections the harness runs, in order (conformance/collections.json): upstream paths under the vendored
 * copy of mojaloop/testing-toolkit-test-cases (conformance/testing-toolkit-test-cases, see its UPSTREAM.md).
 * `provisioning` collections run first; `dfsp` are the DFSP-side golden path; `hub` the hub-side ones.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CollectionEntry {
  /** Upstream path without `collections/` and `.json`, e.g. `dfsp/golden_path/p2p_happy_path`. */
  id: string;
  group: 'provisioning' | 'dfsp' | 'hub';
  /** Path inside the vendored tree. */
  path: string;
  /** false: left out of the regression test in `npm test` (too slow); the full run still covers it. */
  ci?: boolean;
}

export function collectionsDir(): string {
  return path.join(__dirname, 'testing-toolkit-test-cases');
}

export function readManifest(file = path.join(__dirname, 'collections.json')): CollectionEntry[] {
  const list = JSON.parse(fs.readFileSync(file, 'utf8')) as CollectionEntry[];
  for (const c of list) {
    if (!fs.existsSync(path.join(collectionsDir(), c.path))) throw new Error(`collections.json names ${c.path}, which is not vendored`);
  }
  return list;
}

/**
 * The collections `npm test` runs (the regression test): those not marked `"ci": false` in collections.json.
 * The full set is run by `npx tsx conformance/run.ts`, which regenerates docs/conformance/ttk-report.md.
 */
export function ciCollections(file?: string): string[] {
  return readManifest(file).filter((c) => c.ci !== false).map((c) => c.id);
}
