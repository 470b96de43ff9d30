/**
 * What a Toolkit run says, reduced to what the conformance report and the regression test need: per collection,
 * every assertion with its status, and for each failure the request sent, what was expected (the assertion's own
 * code) and what came back (the Toolkit's message, the response and the callback).
 */

/** The parts of the Toolkit's synchronous report (outbound-initiator's final report) that are read here. */
export interface TtkReport {
  name?: string;
  error?: string;
  runtimeInformation?: { totalAssertions: number; totalPassedAssertions: number; runDurationMs: number };
  test_cases?: Array<{
    id: string | number;
    name: string;
    requests: Array<{
      request?: {
        id: string | number;
        description?: string;
        method?: string;
        path?: string;
        url?: string;
        headers?: Record<string, unknown>;
        body?: unknown;
        disabled?: boolean;
        tests?: { assertions?: Array<{ id: string | number; description: string; exec: string[];
          resultStatus?: { status: string; message?: unknown } }> };
      };
      status?: string;
      response?: { status?: number; statusText?: string; body?: unknown; headers?: Record<string, unknown> };
      callback?: { url?: string; headers?: Record<string, unknown>; body?: unknown };
    }>;
  }>;
}

export interface AssertionResult {
  /** `{testCaseId}/{requestId}/{assertionId}` (`#n` for a repeated one): stable across runs. */
  key: string;
  testCase: string;
  request: string;
  description: string;
  status: 'passed' | 'failed' | 'skipped';
}

export interface FailureDetail extends AssertionResult {
  /** The assertion's code, as the collection states it (the expectation). */
  expected: string[];
  /** The Toolkit's message when the assertion failed. */
  actual: string;
  sent: { method?: string; url?: string; path?: string; headers?: Record<string, unknown>; body?: unknown };
  response?: { status?: number; body?: unknown };
  callback?: { url?: string; headers?: Record<string, unknown>; body?: unknown };
}

export interface CollectionResult {
  id: string;
  group: string;
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  total: number;
  durationMs: number;
  /** Set when the Toolkit could not run the collection at all. */
  error?: string;
  assertions: AssertionResult[];
  failures: FailureDetail[];
}

function message(m: unknown): string {
  if (m === undefined || m === null) return '';
  if (typeof m === 'string') return m;
  if (typeof m === 'object' && 'message' in (m as Record<string, unknown>)) return String((m as { message: unknown }).message);
  return JSON.stringify(m);
}

const FSPIOP_HEADERS = ['content-type', 'accept', 'fspiop-source', 'fspiop-destination', 'date', 'fspiop-uri', 'fspiop-http-method'];

/** Headers worth showing in a report: the FSPIOP ones (the rest is transport noise). */
export function fspiopHeadersOf(h: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!h) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) if (FSPIOP_HEADERS.includes(k.toLowerCase())) out[k] = v;
  return out;
}

export function summarise(entry: { id: string; group: string }, report: TtkReport, durationMs: number): CollectionResult {
  const assertions: AssertionResult[] = [];
  const failures: FailureDetail[] = [];
  // Some collections repeat an assertion id within a request: the second one is `{key}#2`, and so on.
  const seen = new Map<string, number>();
  const uniqueKey = (k: string) => {
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n === 1 ? k : `${k}#${n}`;
  };
  for (const tc of report.test_cases ?? []) {
    for (const item of tc.requests ?? []) {
      const req = item.request;
      if (!req) continue;
      for (const a of req.tests?.assertions ?? []) {
        const st = a.resultStatus?.status;
        const status: AssertionResult['status'] = st === 'SUCCESS' ? 'passed' : st === 'SKIPPED' || req.disabled ? 'skipped' : 'failed';
        const base: AssertionResult = {
          key: uniqueKey(`${tc.id}/${req.id}/${a.id}`), testCase: tc.name, request: req.description ?? String(req.id), description:
            a.description, status,
        };
        assertions.push(base);
        if (status === 'failed') {
          failures.push({
            ...base,
            expected: a.exec,
            actual: message(a.resultStatus?.message) || (st ? st : 'not evaluated'),
            sent: { method: req.method, url: req.url, path: req.path, headers: fspiopHeadersOf(req.headers), body: req.body },
            response: item.response ? { status: item.response.status, body: item.response.body } : undefined,
            callback: item.callback ? { url: item.callback.url, headers: fspiopHeadersOf(item.callback.headers), body: item.callback.body }
              : undefined,
          });
        }
      }
    }
  }
  const passed = assertions.filter((a) => a.status === 'passed').length;
  const skipped = assertions.filter((a) => a.status === 'skipped').length;
  return {
    id: entry.id, group: entry.group, name: report.name ?? entry.id,
    passed, skipped, failed: assertions.length - passed - skipped, total: assertions.length, durationMs,
    ...(report.error ? { error: report.error } : {}),
    assertions, failures,
  };
}
