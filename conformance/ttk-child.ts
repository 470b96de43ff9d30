/**
 * Runs inside the Mojaloop Testing Toolkit's own process (started by conformance/harness.ts): loads the Toolkit
 * installed from npm (conformance/ttk/node_modules/ml-testing-toolkit), starts only its inbound mock server (the
 * FSPIOP side GPO's switch calls back), and runs collections with the Toolkit's own runner, synchronously, one at a
 * time. Nothing of the Toolkit's web UI or its API server (fixed at port 5050) is started, and no database is used:
 * with HOSTING_ENABLED false the Toolkit reads its configuration and rules from files under the working directory.
 *
 *   node --require tsx/cjs conformance/ttk-child.ts <plan.json>
 *
 * The plan names the Toolkit's install dir, the working dir (a copy of its spec_files with GPO's user config and
 * rules), the collections and their environment; each collection's report is written as JSON beside the plan.
 */
import fs from 'node:fs';
import path from 'node:path';
import { reportFileName } from './names';

export interface ChildPlan {
  ttkDir: string;
  workDir: string;
  collections: Array<{ id: string; file: string }>;
  inputValues: Record<string, unknown>;
  outDir: string;
}

interface TtkTemplate {
  name: string;
  test_cases: unknown[];
  inputValues: Record<string, unknown>;
  options?: Record<string, unknown>;
}

type OutboundSend = (template: TtkTemplate, traceID: string, dfspId: string | undefined, sync: boolean) => Promise<unknown>;

async function main(): Promise<void> {
  const planFile = path.resolve(process.argv[2] ?? '');
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as ChildPlan;
  process.chdir(plan.workDir); // the Toolkit reads spec_files/... relative to its working directory
  // the Toolkit is CommonJS installed at a path known only at run time
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (rel: string): unknown => require(path.join(plan.ttkDir, rel));
  const config = load('src/lib/config') as { loadSystemConfig(): Promise<void>; loadUserConfig(): Promise<void> };
  const server = load('src/server') as { initialize(): Promise<{ info: { uri: string }; stop(): Promise<void> } | null> };
  const outbound = load('src/lib/test-outbound/outbound-initiator') as { OutboundSend: OutboundSend };
  await config.loadSystemConfig();
  await config.loadUserConfig();
  const inbound = await server.initialize();
  if (!inbound) throw new Error('the Toolkit inbound server did not start');
  process.send?.({ type: 'ready', url: inbound.info.uri });

  for (const c of plan.collections) {
    const collection = JSON.parse(fs.readFileSync(c.file, 'utf8')) as { name?: string; test_cases: unknown[] };
    const template: TtkTemplate = { name: collection.name ?? c.id, test_cases: collection.test_cases, inputValues: plan.inputValues,
      options: {} };
    const started = Date.now();
    // A 32-hex trace id, as the Toolkit's clients generate: it prefixes traceparent headers on what it sends.
    const traceId = Buffer.from(`${c.id}`).toString('hex').padEnd(32, '0').slice(0, 32);
    let report: unknown;
    try {
      report = await outbound.OutboundSend(template, traceId, undefined, true);
    } catch (err) {
      report = { error: (err as Error).message };
    }
    const out = path.join(plan.outDir, reportFileName(c.id));
    fs.writeFileSync(out, JSON.stringify(report));
    process.send?.({ type: 'collection', id: c.id, out, ms: Date.now() - started });
  }
  process.send?.({ type: 'done' });
  await inbound.stop();
}

main().then(() => process.exit(0), (err: unknown) => {
  process.send?.({ type: 'error', message: (err as Error).stack ?? String(err) });
  process.exit(1);
});
