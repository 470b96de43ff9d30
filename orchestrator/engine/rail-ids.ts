/**
 * The rail's transfer id of each payment (the Mojaloop transferId the hub and the payee book), kept beside GPO's
 * own id in a slice's state. Two-phase rails report it before money can move under it; the engine stores it then,
 * and recovery asks the rail about that id.
 */
import type { SliceStateRecord } from '../domain/model';
import type { ItemResult, RailIds } from '../rails/port';

/** The slice's rail ids, created for a state stored before they existed. */
export function railIds(state: SliceStateRecord): Array<string | null> {
  if (!state.mid) state.mid = new Array<string | null>(state.n).fill(null);
  return state.mid;
}

/** Puts reported rail ids (and quoted fees) on the payments at `idx`, matched by GPO's transfer id. */
export function recordRailIds(state: SliceStateRecord, idx: number[], ids: RailIds[]): void {
  const byId = new Map(ids.map((r) => [r.transferId, r]));
  const mid = railIds(state);
  for (const i of idx) {
    const r = byId.get(state.tid[i] as string);
    if (!r) continue;
    mid[i] = r.railTransferId;
    if (r.fee !== undefined) state.fee[i] = r.fee;
    if (r.payeeFsp && !state.fsp[i]) state.fsp[i] = r.payeeFsp;
  }
}

/** The rail id a result carries, if any. */
export function noteRailId(state: SliceStateRecord, i: number, r: ItemResult): void {
  if (r.outcome !== 'unknown' && r.railTransferId) railIds(state)[i] = r.railTransferId;
}
