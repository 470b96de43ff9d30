/**
 * A live progress line for long runs (load tests, benchmarks, scenarios): how many payments are final, the rate,
 * and when the rest should be done. On a terminal the line is redrawn in place (at most a few times a second); in a
 * log or a CI job, where redrawing makes a mess, a plain line is printed once per interval.
 */
export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** Redraw in place (default: whether `out` is a terminal). */
  tty?: boolean;
  /** Without a terminal: one line per this many ms (default 10 s). */
  everyMs?: number;
  /** Clock, for tests (ms). */
  now?: () => number;
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.max(0, Math.round(s))} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** `label: 4,210 of 10,000 payments final (42 %), 850/s, ETA 7 s`; without a total, count and rate only. */
export function formatProgress(label: string, done: number, total: number | undefined, elapsedMs: number, what = 'payments final'): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const parts = [total !== undefined && total > 0 ? `${number(done)} of ${number(total)} ${what} (${Math.floor((done * 100) / total)} %)`
    : `${number(done)} ${what}`];
  parts.push(`${number(rate)}/s`);
  if (total !== undefined && total > 0) parts.push(done >= total ? 'done' : rate > 0 ? `ETA ${duration((total - done) / rate)}` : 'ETA ?');
  parts.push(`${duration(elapsedMs / 1000)} elapsed`);
  return `${label}: ${parts.join(', ')}`;
}

export class ProgressLine {
  private readonly tty: boolean;
  private readonly everyMs: number;
  private readonly now: () => number;
  private readonly started: number;
  private lastDrawn = -Infinity;
  private drawn = false;

  constructor(private readonly out: ProgressSink, opts: ProgressOptions = {}) {
    this.tty = opts.tty ?? Boolean(out.isTTY);
    this.everyMs = opts.everyMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.started = this.now();
  }

  /**
   * Shows `label: done of total ...` if it is time to (each call may or may not print); `force` prints now. The rate
   * is over `elapsedMs` when given (a cycle's own clock), else since this line was created.
   */
  update(p: { label: string; done: number; total?: number; what?: string; elapsedMs?: number; force?: boolean }): void {
    const t = this.now();
    if (!p.force && t - this.lastDrawn < (this.tty ? 250 : this.everyMs)) return;
    this.lastDrawn = t;
    const line = formatProgress(p.label, p.done, p.total, p.elapsedMs ?? t - this.started, p.what);
    if (this.tty) {
      this.out.write(`\r\x1b[K${line}`);
      this.drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Clears a line drawn in place, so what follows starts on a clean line (`keep`: leaves it, ending the line). */
  end(keep = false): void {
    if (this.tty && this.drawn) this.out.write(keep ? '\n' : '\r\x1b[K');
    this.drawn = false;
  }
}
