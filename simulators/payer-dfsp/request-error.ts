/** Thrown for a request the API refuses (HTTP 400-ish): carries the FSPIOP-style code. */
export class RequestError extends Error {
  constructor(readonly statusCode: string, message: string, readonly httpStatus = 400) {
    super(message);
  }
}
