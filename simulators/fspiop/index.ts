/**
 * The FSPIOP protocol kit shared by every simulator: headers and version negotiation, official errors, validation
 * against the v1.1 OpenAPI, value formats, HTTP plumbing and ILP. (The request/callback client is ./client.)
 */
export * from './errors';
export * from './headers';
export * from './validate';
export * from './formats';
export * from './http';
export * from './ilp';
