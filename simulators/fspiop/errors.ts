/**
 * FSPIOP errors as the simulators send them (the catalogue and its classifier are `shared/fspiop-errors.ts`), always sent
 * as `{errorInformation:{errorCode, errorDescription[, extensionList]}}`.
 */

import { describeError } from '../../shared/fspiop-errors';

export { describeError, isOfficialErrorCode } from '../../shared/fspiop-errors';

export interface ErrorInformationBody {
  errorInformation: { errorCode: string; errorDescription: string; extensionList?: { extension: Array<{ key: string; value: string }> } };
}

/** A synchronous answer to an FSPIOP request that cannot be accepted: HTTP status and error body. */
export interface HeaderProblem {
  status: number;
  body: ErrorInformationBody;
}

/** The error body for a code: the official description, plus a detail when given (at most 128 characters, the spec's limit). */
export function errorBody(code: string, detail?: string, extensions?: Array<{ key: string; value: string }>): ErrorInformationBody {
  const official = describeError(code);
  const errorDescription = (detail ? `${official} - ${detail}` : official).slice(0, 128);
  const body: ErrorInformationBody = { errorInformation: { errorCode: code, errorDescription } };
  if (extensions?.length) body.errorInformation.extensionList = { extension: extensions.slice(0, 16) };
  return body;
}
