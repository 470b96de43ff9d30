/**
 * FSPIOP errors: the official codes and descriptions from `@mojaloop/central-services-error-handling`, always sent
 * as `{errorInformation:{errorCode, errorDescription[, extensionList]}}`.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ErrorHandling = require('@mojaloop/central-services-error-handling') as {
  Enums: { FSPIOPErrorCodes: Record<string, { code: string; message: string; httpStatusCode?: number }> };
};

const DESCRIPTIONS = new Map<string, string>();
for (const v of Object.values(ErrorHandling.Enums.FSPIOPErrorCodes)) if (v?.code && !DESCRIPTIONS.has(v.code)) DESCRIPTIONS.set(v.code,
  v.message);

/** The official description of an FSPIOP error code ("Generic error" for a code the library does not know). */
export function describeError(code: string): string {
  return DESCRIPTIONS.get(code) ?? 'Generic error';
}

/** True when `code` is one of the official FSPIOP error codes. */
export function isOfficialErrorCode(code: string): boolean {
  return DESCRIPTIONS.has(code);
}

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
