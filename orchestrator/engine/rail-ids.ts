/**
 * The rail's transfer id of each payment (the Mojaloop transferId the hub and the payee book), kept beside GPO's
 * own id in a slice's state. Two-phase rails report it before money can move under it; the engine stores it then,
 * and recovery asks the rail about that id.
 */
import type { SliceStateRecord } from '../domain/model';
import type { ItemResult, RailIds, SendHooks } from '../rails/port';
import type { CrashPoints } from './crash';

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

/**
 * The hooks a two-phase rail calls between learning its ids and accepting: the ids go on the payments at `idx` and
 * the slice is saved (crash points `prepare` before, `accept` after). A stopped engine stores nothing and the rail
 * accepts nothing.
 */
export function railIdHooks(state: SliceStateRecord, idx: number[], o: { save: () => Promise<void>; crash: CrashPoints;
  stopped: () => boolean }): SendHooks {
  return {
    storeRailIds: async (ids) => {
      o.crash.pass('prepare');
      if (o.stopped()) throw new Error('stopped before the rail ids were stored');
      recordRailIds(state, idx, ids);
      await o.save();
      o.crash.pass('accept');
    },
  };
}
