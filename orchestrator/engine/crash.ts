/**
 * Deterministic crash points for recovery tests: GPO_CRASH_AT=<phase>:<n> kills this process with SIGKILL the n-th
 * time the engine passes <phase> (intake: a batch became durable; quote: a group was quoted; transfer: a group's
 * transfer call returned, before its results are stored; prepare: a two-phase rail reported its transfer ids, before
 * they are stored; accept: those ids were stored, before the acceptance that lets money move; final: a slice's final state was stored;
 * notify: an event
 * went to subscribers; deliver: a final notification's delivery failed, before it is tried again). Unset in production: then this is a
 * no-op.
 */
export type CrashPhase = 'intake' | 'quote' | 'prepare' | 'accept' | 'transfer' | 'final' | 'notify' | 'deliver';

export class CrashPoints {
  private readonly counts = new Map<string, number>();
  private readonly phase?: string;
  private readonly at: number;

  constructor(spec?: string) {
    const m = spec ? /^([a-z]+):(\d+)$/.exec(spec.trim()) : null;
    this.phase = m?.[1];
    this.at = m ? Number(m[2]) : 0;
  }

  pass(phase: CrashPhase): void {
    if (this.phase !== phase) return;
    const n = (this.counts.get(phase) ?? 0) + 1;
    this.counts.set(phase, n);
    if (n === this.at) process.kill(process.pid, 'SIGKILL');
  }
}
