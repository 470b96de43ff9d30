/**
 * The FSPIOP error vocabulary of every component: the official catalogue (codes and descriptions from Mojaloop's
 * `@mojaloop/central-services-error-handling`), the codes GPO names, grouped by meaning as the API definition groups
 * them (the first digit, then the second), and one classifier that says what a code means for a payment: try again,
 * expired (can never complete), in doubt (may have completed), or final.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ErrorHandling = require('@mojaloop/central-services-error-handling') as {
  Enums: { FSPIOPErrorCodes: Record<string, { code: string; message: string }> };
};
const CATALOGUE = ErrorHandling.Enums.FSPIOPErrorCodes;

const DESCRIPTIONS = new Map<string, string>();
for (const v of Object.values(CATALOGUE)) if (v?.code && !DESCRIPTIONS.has(v.code)) DESCRIPTIONS.set(v.code, v.message);

/** The official description of an FSPIOP error code ("Generic error" for a code the catalogue does not know). */
export function describeError(code: string): string {
  return DESCRIPTIONS.get(code) ?? 'Generic error';
}

/** True when `code` is one of the official FSPIOP error codes. */
export function isOfficialErrorCode(code: string): boolean {
  return DESCRIPTIONS.has(code);
}

/** The codes GPO's components send or act on, under the catalogue's own names. */
export const ErrorCode = {
  // 1xxx communication
  COMMUNICATION_ERROR: '1000',
  DESTINATION_COMMUNICATION_ERROR: '1001',
  // 2xxx server
  SERVER_ERROR: '2000',
  INTERNAL_SERVER_ERROR: '2001',
  NOT_IMPLEMENTED: '2002',
  SERVICE_CURRENTLY_UNAVAILABLE: '2003',
  SERVER_TIMED_OUT: '2004',
  SERVER_BUSY: '2005',
  // 3xxx client: 30xx generic, 31xx validation, 32xx identifier, 33xx expired
  CLIENT_ERROR: '3000',
  UNACCEPTABLE_VERSION: '3001',
  UNKNOWN_URI: '3002',
  VALIDATION_ERROR: '3100',
  MALFORMED_SYNTAX: '3101',
  MISSING_ELEMENT: '3102',
  TOO_LARGE_PAYLOAD: '3104',
  INVALID_SIGNATURE: '3105',
  MODIFIED_REQUEST: '3106',
  ID_NOT_FOUND: '3200',
  DESTINATION_FSP_ERROR: '3201',
  PAYER_FSP_ID_NOT_FOUND: '3202',
  PAYEE_FSP_ID_NOT_FOUND: '3203',
  PARTY_NOT_FOUND: '3204',
  QUOTE_ID_NOT_FOUND: '3205',
  TRANSFER_ID_NOT_FOUND: '3208',
  BULK_QUOTE_ID_NOT_FOUND: '3209',
  BULK_TRANSFER_ID_NOT_FOUND: '3210',
  EXPIRED_ERROR: '3300',
  QUOTE_EXPIRED: '3302',
  TRANSFER_EXPIRED: '3303',
  // 4xxx payer
  PAYER_ERROR: '4000',
  PAYER_FSP_INSUFFICIENT_LIQUIDITY: '4001',
  PAYER_REJECTION: '4100',
  PAYER_LIMIT_ERROR: '4200',
  // 5xxx payee
  PAYEE_ERROR: '5000',
  PAYEE_REJECTION: '5100',
  PAYEE_REJECTED_QUOTE: '5101',
  PAYEE_FSP_REJECTED_QUOTE: '5103',
  PAYEE_REJECTED_TXN: '5104',
  PAYEE_FSP_REJECTED_TXN: '5105',
  PAYEE_UNSUPPORTED_CURRENCY: '5106',
  PAYEE_LIMIT_ERROR: '5200',
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

// Each name above is the catalogue's: a typo or a code Mojaloop renumbered fails at load, not in production.
for (const [name, code] of Object.entries(ErrorCode)) {
  if (CATALOGUE[name]?.code !== code) throw new Error(`FSPIOP error ${name} is ${CATALOGUE[name]?.code
    ?? 'not in the catalogue'}, not ${code}`);
}

/** The API definition's groups: the first digit, and within client errors the second. */
export type ErrorGroup = 'communication' | 'server' | 'client' | 'validation' | 'identifier' | 'expired' | 'payer' | 'payee' | 'unknown';

export function errorGroup(code: string | undefined): ErrorGroup {
  if (!code || !/^[1-5]\d{3}$/.test(code)) return 'unknown';
  if (code[0] === '3') return code[1] === '1' ? 'validation' : code[1] === '2' ? 'identifier' : code[1] === '3' ? 'expired' : 'client';
  return (['communication', 'server', 'client', 'payer', 'payee'] as const)[Number(code[0]) - 1];
}

/**
 * What a code says about the operation that got it:
 * - `in-doubt`: the server timed out (2004); the operation may have completed, so it is asked about, never resent;
 * - `transient`: communication failed, or the service is unavailable or busy (1000, 1001, 2003, 2005): the request was
 *   not taken, so trying again later is safe;
 * - `expired`: the hub expired the quote or transfer (3302, 3303): it can never commit, so new ids are safe;
 * - `final`: any other code; the operation failed and trying again gets the same answer.
 */
export type ErrorDisposition = 'in-doubt' | 'transient' | 'expired' | 'final';

const DISPOSITIONS: ReadonlyMap<string, ErrorDisposition> = new Map<string, ErrorDisposition>([
  [ErrorCode.SERVER_TIMED_OUT, 'in-doubt'],
  [ErrorCode.COMMUNICATION_ERROR, 'transient'],
  [ErrorCode.DESTINATION_COMMUNICATION_ERROR, 'transient'],
  [ErrorCode.SERVICE_CURRENTLY_UNAVAILABLE, 'transient'],
  [ErrorCode.SERVER_BUSY, 'transient'],
  [ErrorCode.QUOTE_EXPIRED, 'expired'],
  [ErrorCode.TRANSFER_EXPIRED, 'expired'],
]);

export function classifyError(code: string | undefined): ErrorDisposition {
  return (code && DISPOSITIONS.get(code)) || 'final';
}

/** "Try again later": transient, or in doubt (asking again is how a doubt is resolved). */
export function isTransientCode(code: string | undefined): boolean {
  const d = classifyError(code);
  return d === 'transient' || d === 'in-doubt';
}

export function isExpiredCode(code: string | undefined): boolean {
  return classifyError(code) === 'expired';
}

export function isInDoubtCode(code: string | undefined): boolean {
  return classifyError(code) === 'in-doubt';
}

/** The code for a refusal given as a bare HTTP status: 503 is "unavailable" (try again), any other "internal error". */
export function codeForHttpStatus(status: number): string {
  return status === 503 ? ErrorCode.SERVICE_CURRENTLY_UNAVAILABLE : ErrorCode.INTERNAL_SERVER_ERROR;
}
