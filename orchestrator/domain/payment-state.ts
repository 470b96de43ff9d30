/**
 * The payment state machine, over the columnar slice state (no object per payment). Every change of a payment's
 * status goes through these functions, which refuse a transition the machine does not have:
 *
 *   RECEIVED ─lookup─> RESOLVED ─quote─> QUOTED ─ids stored─> SENT ─rail─> COMPLETED | FAILED
 *   (RECEIVED and RESOLVED may go to SENT directly when the rail quotes inside the transfer)
 *   any unsent status ─> FAILED | CANCELLED; a SENT payment is CANCELLED only before its request left
 *   SENT ─rail reported a retryable failure─> RECEIVED | RESOLVED (a new attempt)
 *   SENT ─the rail proved it never saw it─> QUOTED (sent again)
 *   COMPLETED, FAILED and CANCELLED are final: nothing leaves them.
 */
import {
  isFinalCode, S_CANCELLED, S_COMPLETED, S_FAILED, S_QUOTED, S_RECEIVED, S_RESOLVED, S_SENT, STATUS_CODES, type SliceStateRecord,
} from './model';

const ALLOWED: ReadonlyArray<ReadonlySet<number>> = [
  /* RECEIVED */ new Set([S_RECEIVED, S_RESOLVED, S_QUOTED, S_SENT, S_FAILED, S_CANCELLED]),
  /* RESOLVED */ new Set([S_RECEIVED, S_RESOLVED, S_QUOTED, S_SENT, S_FAILED, S_CANCELLED]),
  /* QUOTED */ new Set([S_RECEIVED, S_RESOLVED, S_QUOTED, S_SENT, S_FAILED, S_CANCELLED]),
  /* SENT */ new Set([S_RECEIVED, S_RESOLVED, S_QUOTED, S_SENT, S_COMPLETED, S_FAILED, S_CANCELLED]),
  /* COMPLETED */ new Set(),
  /* FAILED */ new Set(),
  /* CANCELLED */ new Set(),
];

export class IllegalTransition extends Error {
  constructor(readonly from: number, readonly to: number, readonly index: number) {
    super(`payment ${index}: ${STATUS_CODES[from] ?? from} -> ${STATUS_CODES[to] ?? to} is not a transition of the payment state machine`);
    this.name = 'IllegalTransition';
  }
}

export function canMove(from: number, to: number): boolean {
  return ALLOWED[from]?.has(to) ?? false;
}

function move(state: SliceStateRecord, i: number, to: number): void {
  const from = state.st[i];
  if (!canMove(from, to)) throw new IllegalTransition(from, to, state.start + i);
  state.st[i] = to;
}

/** The payee's FSP is known (party lookup). */
export function markResolved(state: SliceStateRecord, i: number, fsp: string): void {
  move(state, i, S_RESOLVED);
  state.fsp[i] = fsp;
}

/** The rail quoted the payment, with this fee. */
export function markQuoted(state: SliceStateRecord, i: number, fee: string | null): void {
  move(state, i, S_QUOTED);
  state.fee[i] = fee;
}

/** The payment's ids and group are about to be stored: from the next save on, money may move under them. */
export function markSent(state: SliceStateRecord, i: number, group: number): void {
  move(state, i, S_SENT);
  state.g[i] = group;
}

/** The rail proved it never saw the payment's transfer: it is sent again (its rail id, if any, is dropped). */
export function markUnseen(state: SliceStateRecord, i: number, mid: Array<string | null>, newTransferId?: string): void {
  if (state.st[i] !== S_SENT) throw new IllegalTransition(state.st[i], S_QUOTED, state.start + i);
  move(state, i, S_QUOTED);
  mid[i] = null;
  if (newTransferId) state.tid[i] = newTransferId;
}

/**
 * Back for another attempt after a failure the rail reported: RESOLVED if the payee's FSP is known, else RECEIVED.
 * The transfer id is kept (the rail de-duplicates on it) unless the rail said nothing was sent under it.
 */
export function markRetry(state: SliceStateRecord, i: number, code: string, description: string,
  newIdSafe?: Array<string | null>): void {
  move(state, i, state.fsp[i] ? S_RESOLVED : S_RECEIVED);
  if (newIdSafe) {
    // nothing was sent under these ids: the next attempt gets new ones (newIdSafe is the slice's rail ids)
    state.tid[i] = null;
    newIdSafe[i] = null;
  }
  state.g[i] = -1;
  state.fee[i] = null;
  state.err[i] = code;
  state.ed[i] = description;
}

/**
 * A final status (COMPLETED, FAILED, CANCELLED) at `at`. False, and nothing changes, when the payment is final already.
 * A completed payment keeps its amounts and clears its error; a failed or cancelled one keeps the error and clears
 * the amounts.
 */
export function markFinal(state: SliceStateRecord, i: number, status: number, at: string,
  err: { code: string | null; description: string | null }): boolean {
  if (isFinalCode(state.st[i])) return false;
  if (!isFinalCode(status)) throw new IllegalTransition(state.st[i], status, state.start + i);
  move(state, i, status);
  state.at[i] = at;
  if (status === S_COMPLETED) {
    state.err[i] = null;
    state.ed[i] = null;
  } else {
    if (err.code !== null) state.err[i] = err.code;
    if (err.description !== null) state.ed[i] = err.description;
    state.deb[i] = null;
    state.cred[i] = null;
    state.fee[i] = null;
  }
  return true;
}

/** The rail's amounts of a completed payment (before markFinal). */
export function recordCompletion(state: SliceStateRecord, i: number, r: { payeeFsp?: string; fee: string; amountDebited: string;
  amountCredited: string }): void {
  if (r.payeeFsp && !state.fsp[i]) state.fsp[i] = r.payeeFsp;
  state.fee[i] = r.fee;
  state.deb[i] = r.amountDebited;
  state.cred[i] = r.amountCredited;
}

/** A payment reported in doubt keeps its status (SENT) and notes what the rail said. */
export function noteDoubt(state: SliceStateRecord, i: number, code: string, description: string): void {
  if (state.st[i] !== S_SENT) throw new IllegalTransition(state.st[i], S_SENT, state.start + i);
  state.err[i] = code;
  state.ed[i] = description;
}
