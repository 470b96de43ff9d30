/** Party shapes: the SDK's transferParty and FSPIOP's Party, one from the other. */
import type { Party, TransferParty } from './types';

/** FSPIOP Party for an SDK transferParty. */
export function fspiopParty(p: TransferParty, fspId?: string): Party {
  const party: Party = { partyIdInfo: { partyIdType: p.idType, partyIdentifier: p.idValue } };
  if (p.idSubValue) party.partyIdInfo.partySubIdOrType = p.idSubValue;
  if (fspId ?? p.fspId) party.partyIdInfo.fspId = fspId ?? p.fspId;
  if (p.displayName) party.name = p.displayName;
  if (p.firstName || p.lastName || p.middleName) {
    party.personalInfo = { complexName: { firstName: p.firstName, middleName: p.middleName, lastName: p.lastName } };
    for (const k of ['firstName', 'middleName',
      'lastName'] as const) if (!party.personalInfo.complexName![k]) delete party.personalInfo.complexName![k];
  }
  return party;
}

/** SDK transferParty for an FSPIOP Party (names from the lookup). */
export function transferPartyOf(base: TransferParty, party?: Party): TransferParty {
  if (!party) return base;
  const out: TransferParty = { ...base, fspId: party.partyIdInfo.fspId ?? base.fspId };
  if (party.name) out.displayName = party.name;
  const cn = party.personalInfo?.complexName;
  if (cn?.firstName) out.firstName = cn.firstName;
  if (cn?.middleName) out.middleName = cn.middleName;
  if (cn?.lastName) out.lastName = cn.lastName;
  return out;
}

/** Drops undefined fields (answers stay small and spec-shaped). */
export const stripEmpty = <T extends Record<string, unknown>>(o: T): T => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
};

/** The FSPIOP transactionType of every quote we send: a payer-initiated transfer. */
export const transactionType = (initiatorType: string) => ({ scenario: 'TRANSFER', initiator: 'PAYER', initiatorType });
