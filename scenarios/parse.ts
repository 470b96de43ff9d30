/**
 * Scenario files: YAML parsed with line numbers, checked against scenario.schema.json (Ajv, compiled once) and
 * then for meaning (FSPs named in the generator exist in the network, steps in a sensible order, ...). Every problem
 * comes back as `file:line:column: what is wrong`.
 */
import { readFileSync } from 'node:fs';
import Ajv, { ErrorObject } from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, Document, Node as YamlNode } from 'yaml';
import schema from './scenario.schema.json';
import type { Scenario, ScenarioStep, Duration } from './types';

export class ScenarioError extends Error {
  constructor(readonly file: string, readonly problems: ScenarioProblem[]) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

export interface ScenarioProblem {
  line: number;
  column: number;
  path: string;
  message: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateSchema = ajv.compile(schema);

export function parseDuration(d: Duration | undefined, fallbackMs: number): number {
  if (d === undefined) return fallbackMs;
  if (typeof d === 'number') return d;
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) return fallbackMs;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

function pointerToPath(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function locate(doc: Document, lc: LineCounter, path: Array<string | number>): { line: number; column: number } {
  // The deepest node that exists on the path: a missing key is reported at its parent.
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as YamlNode | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
    if (n === 0 && doc.contents?.range) {
      const pos = lc.linePos(doc.contents.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

/** Ajv reports every branch of a oneOf; keep what a person needs to fix the file. */
function describe(e: ErrorObject): string | undefined {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'the scenario';
  switch (e.keyword) {
    case 'required': return `${where}: missing required "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'additionalProperties': return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum': return `${where}: must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map((v) =>
      JSON.stringify(v)).join(', ')}`;
    case 'pattern': return `${where}: ${JSON.stringify(e.data)} does not match the expected format ` +
      `${e.schema === schema.definitions.decimal.pattern ? '(a decimal amount written as a quoted string, e.g. "100.50")'
        : (e.parentSchema as { description?: string })?.description ?? String(e.schema)}`;
    case 'type': {
      const found = Array.isArray(e.data) ? 'a list' : e.data === null ? 'nothing' : typeof e.data;
      const hint = (e.parentSchema as { pattern?: string } | undefined)?.pattern === schema.definitions.decimal.pattern
        && typeof e.data === 'number' ? ` (found the number ${e.data}: write amounts as quoted strings, e.g. "${e.data}")`
          : ` (found ${found})`;
      return `${where}: must be ${(e.params as { type: string | string[] }).type}${hint}`;
    }
    case 'oneOf': return undefined;
    case 'minProperties': case 'maxProperties': return `${where}: ${e.message}`;
    default: return `${where}: ${e.message}`;
  }
}

const STEP_NAMES = new Set(['enrol', 'createCycle', 'createEntitlements', 'approveEntitlements', 'approveCycle', 'preparePayments',
  'sendPayments', 'reconcile', 'cancel', 'restartOrchestrator', 'cycle', 'setFaults', 'waitFor', 'pause', 'post']);

export function stepName(step: ScenarioStep): string {
  return typeof step === 'string' ? step : Object.keys(step)[0];
}

function schemaProblems(doc: Document, lc: LineCounter, data: unknown): ScenarioProblem[] {
  if (validateSchema(data)) return [];
  const out: ScenarioProblem[] = [];
  const seen = new Set<string>();
  const errors = validateSchema.errors ?? [];
  // For a step, report the oneOf branch that fits its shape: a bare name against the enum, a map against its keys.
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    if (path[0] === 'steps' && path.length === 2) {
      const value = (data as { steps: unknown[] }).steps[path[1] as number];
      if (typeof value === 'string' && e.keyword === 'enum') {
        pushProblem(`steps.${path[1]}: unknown step "${value}"; steps are ${[...STEP_NAMES].join(', ')}`);
        continue;
      }
      if (value && typeof value === 'object' && e.keyword === 'additionalProperties') {
        pushProblem(`steps.${path[1]}: unknown step "${(e.params as { additionalProperty: string }).additionalProperty}"; steps are ` +
          `${[...STEP_NAMES].join(', ')}`);
        continue;
      }
      if (e.keyword === 'type' || e.keyword === 'enum' || e.keyword === 'oneOf' || e.keyword === 'additionalProperties') continue;
    }
    const msg = describe(e);
    if (msg) pushProblem(msg);
    function pushProblem(message: string) {
      const key = `${e.instancePath}|${message}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({ ...locate(doc, lc, path), path: e.instancePath, message });
    }
  }
  return out;
}

function meaningProblems(doc: Document, lc: LineCounter, s: Scenario): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const at = (path: Array<string | number>, message: string) => out.push({ ...locate(doc, lc, path), path: '/' + path.join('/'), message });
  const fsps = new Set((s.network?.payeeFsps ?? [{ id: 'payeefsp1' }, { id: 'payeefsp2' }]).map((f) => f.id));
  const targets = new Set([...fsps, 'als', 'switch', 'payer', 'pil']);
  for (const name of Object.keys(s.registrants.generate?.fsps ?? {})) {
    if (!fsps.has(name)) at(['registrants', 'generate', 'fsps', name],
      `registrants.generate.fsps: "${name}" is not a payee FSP of the network (${[...fsps].join(', ')})`);
  }
  (s.network?.faults ?? []).forEach((f, i) => { if (!targets.has(f.target)) at(['network', 'faults', i, 'target'],
    `fault target "${f.target}" is not in the network (${[...targets].join(', ')})`); });
  (s.network?.faultChanges ?? []).forEach((f, i) => { if (!targets.has(f.target)) at(['network', 'faultChanges', i, 'target'],
    `fault target "${f.target}" is not in the network (${[...targets].join(', ')})`); });
  const names = s.steps.map(stepName);
  s.steps.forEach((st, i) => {
    if (typeof st === 'object' && 'setFaults' in st && st.setFaults && !targets.has(st.setFaults.target)) at(['steps', i, 'setFaults',
      'target'], `fault target "${st.setFaults.target}" is not in the network (${[...targets].join(', ')})`);
  });
  const order = ['enrol', 'createCycle', 'createEntitlements', 'approveEntitlements', 'approveCycle', 'preparePayments'];
  let last = -1;
  names.forEach((n, i) => {
    const k = order.indexOf(n);
    if (k >= 0) {
      if (k < last) at(['steps', i], `step "${n}" comes after "${order[last]}": the cycle runs ${order.join(' → ')}`);
      last = Math.max(last, k);
    }
    if (n === 'cycle') last = order.length - 1;
    if (n === 'sendPayments' && last < order.length - 1) at(['steps', i],
      'sendPayments before preparePayments: there are no batches to send yet');
  });
  if (s.expect.byFsp) for (const f of Object.keys(s.expect.byFsp)) if (!fsps.has(f)) at(['expect', 'byFsp', f],
    `expect.byFsp: "${f}" is not a payee FSP of the network`);
  return out;
}

/** Parse and validate scenario text; throws ScenarioError listing every problem with its line. */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    throw new ScenarioError(file, doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return { line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
    }));
  }
  const data = doc.toJS() as unknown;
  if (!data || typeof data !== 'object' || Array.isArray(data) || !isMap(doc.contents)) {
    throw new ScenarioError(file, [{ line: 1, column: 1, path: '', message:
      'a scenario is a YAML map with name, program, registrants, steps and expect' }]);
  }
  const problems = schemaProblems(doc, lc, data);
  if (problems.length) throw new ScenarioError(file, problems);
  const meaning = meaningProblems(doc, lc, data as Scenario);
  if (meaning.length) throw new ScenarioError(file, meaning);
  void isSeq;
  return data as Scenario;
}

export function loadScenario(file: string): Scenario {
  return parseScenario(readFileSync(file, 'utf8'), file);
}
