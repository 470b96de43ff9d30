/** k6 duration strings ("30s", "1m30s", "500ms", "2h") and numbers (milliseconds) to milliseconds. */
export function parseDuration(v: string | number | undefined, fallbackMs: number): number {
  if (v === undefined || v === null || v === '') return fallbackMs;
  if (typeof v === 'number') return v;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let matched = '';
  for (let m = re.exec(v); m; m = re.exec(v)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    matched += m[0];
  }
  if (matched !== v) throw new Error(`"${v}" is not a k6 duration (e.g. 30s, 1m30s, 500ms)`);
  return total;
}
