/**
 * The ALS's routing decisions: where a party lookup goes, where its answer goes back, what the participants
 * API answers. The HTTP layer accepts (202), then calls these; all sending goes through an injected `send`.
 */
import { AlsEndpointType, endpointUrl, EndpointSource, PartyPath } from './endpoints';
import { Oracle } from './oracle';
import { ErrorCode } from '../../shared/fspiop-errors';

export interface OutgoingRequest {
  method: 'GET' | 'PUT';
  url: string;
  /** FSPIOP resource for the Content-Type/Accept headers: 'parties' or 'participants'. */
  resource: 'parties' | 'participants';
  source: string;
  destination?: string;
  body?: unknown;
  /** Headers of the request being forwarded (kept as they were, as a switch does). */
  forwardHeaders?: Record<string, string>;
}

export type Sender = (req: OutgoingRequest) => Promise<void>;
export type ErrorDescriber = (code: string) => string;

export interface AlsRouterOptions {
  /** The ALS's own FSPIOP-Source on errors it originates (Mojaloop uses "switch"). */
  hubName?: string;
  oracle: Oracle;
  endpoints: EndpointSource;
  send: Sender;
  describe: ErrorDescriber;
  /** Records what went wrong when a peer cannot be reached or has no endpoint. */
  onProblem?: (what: string, detail: Record<string, unknown>) => void;
}

export interface BatchParty {
  partyIdType: string;
  partyIdentifier: string;
  partySubIdOrType?: string;
  fspId?: string;
}

export class AlsRouter {
  readonly hubName: string;
  constructor(private readonly o: AlsRouterOptions) {
    this.hubName = o.hubName ?? 'switch';
  }

  private errorBody(code: string, detail?: string): { errorInformation: { errorCode: string; errorDescription: string } } {
    const official = this.o.describe(code);
    return { errorInformation: { errorCode: code, errorDescription: (detail ? `${official} - ${detail}` : official).slice(0, 128) } };
  }

  private async urlFor(fspId: string, type: AlsEndpointType, p: PartyPath & { requestId?: string }): Promise<string | undefined> {
    const eps = await this.o.endpoints.endpointsOf(fspId);
    const template = eps?.get(type);
    return template ? endpointUrl(template, type, p) : undefined;
  }

  /** Sends a party error callback to the requester (or records that it cannot). */
  async partyErrorTo(requester: string, p: PartyPath, code: string, detail?: string): Promise<void> {
    const url = await this.urlFor(requester, 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', p);
    if (!url) {
      this.o.onProblem?.('no PARTIES_PUT_ERROR endpoint for requester', { requester, code });
      return;
    }
    await this.o.send({ method: 'PUT', url, resource: 'parties', source: this.hubName, destination: requester, body:
      this.errorBody(code, detail) });
  }

  /** GET /parties: oracle (or FSPIOP-Destination) → forward to the owning FSP; unknown party → 3204 to the requester. */
  async getParty(requester: string, p: PartyPath, headers: Record<string, string>, destination?: string): Promise<void> {
    // a requester that already knows the FSP names it in FSPIOP-Destination; the oracle is skipped
    const fspId = destination || this.o.oracle.lookup(p.idType, p.idValue, p.subId);
    if (!fspId) return this.partyErrorTo(requester, p, ErrorCode.PARTY_NOT_FOUND);
    const url = await this.urlFor(fspId, 'FSPIOP_CALLBACK_URL_PARTIES_GET', p);
    if (!url) return this.partyErrorTo(requester, p, ErrorCode.DESTINATION_FSP_ERROR, `no parties endpoint for ${fspId}`);
    try {
      await this.o.send({ method: 'GET', url, resource: 'parties', source: requester, destination: fspId, forwardHeaders: headers });
    } catch (err) {
      await this.partyErrorTo(requester, p, ErrorCode.DESTINATION_COMMUNICATION_ERROR, `${fspId}: ${(err as Error).message}`);
    }
  }

  /** PUT /parties[/error] from the owning FSP → to FSPIOP-Destination's endpoint. */
  async putParty(from: string, destination: string, p: PartyPath, body: unknown, isError: boolean, headers: Record<string,
    string>): Promise<void> {
    const type: AlsEndpointType = isError ? 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR' : 'FSPIOP_CALLBACK_URL_PARTIES_PUT';
    const url = await this.urlFor(destination, type, p);
    if (!url) {
      this.o.onProblem?.('no parties callback endpoint for destination', { from, destination });
      return this.partyErrorTo(from, p, ErrorCode.DESTINATION_FSP_ERROR, `no parties endpoint for ${destination}`);
    }
    await this.o.send({ method: 'PUT', url, resource: 'parties', source: from, destination, body, forwardHeaders: headers });
  }

  private async participantCallback(requester: string, p: PartyPath, body: unknown, isError: boolean): Promise<void> {
    const type: AlsEndpointType = isError ? 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR' : 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT';
    const url = await this.urlFor(requester, type, p);
    if (!url) {
      this.o.onProblem?.('no participant callback endpoint for requester', { requester });
      return;
    }
    await this.o.send({ method: 'PUT', url, resource: 'participants', source: this.hubName, destination: requester, body });
  }

  /** GET /participants/{Type}/{ID}: PUT {fspId}, or 3204 when nobody serves it. */
  async getParticipant(requester: string, p: PartyPath): Promise<void> {
    const fspId = this.o.oracle.lookup(p.idType, p.idValue, p.subId);
    if (!fspId) return this.participantCallback(requester, p, this.errorBody(ErrorCode.PARTY_NOT_FOUND), true);
    return this.participantCallback(requester, p, { fspId }, false);
  }

  /** POST /participants/{Type}/{ID}: registers; an FSP may only register itself. */
  async postParticipant(requester: string, p: PartyPath, body: { fspId: string; currency?: string }): Promise<void> {
    if (body.fspId !== requester) {
      return this.participantCallback(requester, p, this.errorBody(ErrorCode.VALIDATION_ERROR,
        'an FSP can only register identifiers for itself'), true);
    }
    this.o.oracle.set(p.idType, p.idValue, body.fspId, p.subId);
    return this.participantCallback(requester, p, { fspId: body.fspId }, false);
  }

  /** DELETE /participants/{Type}/{ID}: only the owning FSP may remove it. */
  async deleteParticipant(requester: string, p: PartyPath): Promise<void> {
    const owner = this.o.oracle.has(p.idType, p.idValue, p.subId) ? this.o.oracle.lookup(p.idType, p.idValue, p.subId) : undefined;
    if (!owner) return this.participantCallback(requester, p, this.errorBody(ErrorCode.PARTY_NOT_FOUND), true);
    if (owner !== requester) return this.participantCallback(requester, p,
      this.errorBody(ErrorCode.VALIDATION_ERROR, `registered by ${owner}`), true);
    this.o.oracle.delete(p.idType, p.idValue, p.subId);
    return this.participantCallback(requester, p, { fspId: owner }, false);
  }

  /** Batch POST /participants: per-party results in PUT /participants/{requestId}. */
  async postParticipantsBatch(requester: string, body: { requestId: string; partyList: BatchParty[]; currency?: string }): Promise<void> {
    const partyList = body.partyList.map((party) => {
      const fspId = party.fspId ?? requester;
      const partyId = { ...party, fspId };
      if (fspId !== requester) {
        return { partyId, errorInformation: this.errorBody(ErrorCode.VALIDATION_ERROR,
          'an FSP can only register identifiers for itself').errorInformation };
      }
      this.o.oracle.set(party.partyIdType, party.partyIdentifier, fspId, party.partySubIdOrType);
      return { partyId };
    });
    const url = await this.urlFor(requester, 'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT',
      { idType: '', idValue: '', requestId: body.requestId });
    if (!url) {
      this.o.onProblem?.('no participant batch endpoint for requester', { requester });
      return;
    }
    const out: Record<string, unknown> = { partyList };
    if (body.currency) out.currency = body.currency;
    await this.o.send({ method: 'PUT', url, resource: 'participants', source: this.hubName, destination: requester, body: out });
  }
}
