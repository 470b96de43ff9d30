/** Small helpers of the engine: index selection, per-item failures, rail errors, deferred promises. */
import type { SliceStateRecord } from '../domain/model';
import type { ItemResult } from '../rails/port';
import { RailCallError } from '../rails/port';

export function indices(state: SliceStateRecord, pred: (s: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < state.n; i++) if (pred(state.st[i])) out.push(i);
  return out;
}

export function failed(transferId: string, errorCode: string, description: string, transient: boolean): ItemResult {
  return { transferId, outcome: 'failed', errorCode, description, transient };
}

export function toRailError(err: unknown): RailCallError {
  if (err instanceof RailCallError) return err;
  const e = err as { code?: string; message?: string; name?: string };
  const timeout = /timeout/i.test(String(e.code ?? '')) || /timeout/i.test(String(e.name ?? ''));
  return new RailCallError(e.message ?? String(err), true, timeout ? '2004' : '1001');
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}


/**
 * A copy of a slice state that later transitions do not touch: taken when the state is handed to the store, it is
 * what reads show once the store has taken it (reads never show a status a crash could undo).
 */
export function snapshotState(s: SliceStateRecord): SliceStateRecord {
  return {
    ...s,
    st: s.st.slice(), fsp: s.fsp.slice(), tid: s.tid.slice(), ...(s.mid ? { mid: s.mid.slice() } : {}), g: s.g.slice(), att: s.att.slice(),
    fee: s.fee.slice(), deb: s.deb.slice(), cred: s.cred.slice(), err: s.err.slice(), ed: s.ed.slice(), at: s.at.slice(),
    groups: s.groups.map((g) => ({ ...g })),
  };
}
