/**
 * The FSPIOP edge used by the ALS and payee DFSP servers. It now lives in the shared protocol kit
 * (simulators/fspiop); this module re-exports it so existing imports keep working.
 */
export { describeError, errorBody } from '../fspiop/errors';
export type { ErrorInformationBody, HeaderProblem } from '../fspiop/errors';
export { SUPPORTED_VERSIONS, checkHeaders, answerVersion, fspiopHeaders } from '../fspiop/headers';
export type { FspiopResource } from '../fspiop/headers';
export { specValidator, checkBody, warmValidators } from '../fspiop/validate';
export { fspiopPayloadErrors, FSPIOP_MAX_BODY, PeerClient } from '../fspiop/http';
