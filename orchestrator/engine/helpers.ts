/** Small helpers of the engine: index selection, per-item failures, rail errors, deferred promises. */
import type { SliceStateRecord } from '../domain/model';
import type { ItemResult } from '../rails/port';
import { RailCallError } from '../rails/port';
import { ErrorCode } from '../../shared/fspiop-errors';

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
  return new RailCallError(e.message ?? String(err), true, timeout ? ErrorCode.SERVER_TIMED_OUT
    : ErrorCode.DESTINATION_COMMUNICATION_ERROR);
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

