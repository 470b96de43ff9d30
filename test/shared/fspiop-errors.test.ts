import assert from 'node:assert/strict';
import {
  classifyError, codeForHttpStatus, describeError, ErrorCode, errorGroup, isExpiredCode, isInDoubtCode, isOfficialErrorCode,
  isTransientCode,
} from '../../shared/fspiop-errors';

/** Every official code, 1000 to 5999, as the catalogue knows them. */
const OFFICIAL = Array.from({ length: 5000 }, (_, i) => String(1000 + i)).filter(isOfficialErrorCode);

describe('shared FSPIOP error vocabulary', () => {
  it('names only official codes, with the catalogue\'s descriptions', () => {
    assert.ok(OFFICIAL.length >= 50, `the catalogue has ${OFFICIAL.length} codes`);
    for (const code of Object.values(ErrorCode)) assert.ok(isOfficialErrorCode(code), code);
    assert.equal(describeError(ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY), 'Payer FSP insufficient liquidity');
    assert.equal(describeError(ErrorCode.SERVER_TIMED_OUT), 'Server timed out');
    assert.equal(describeError('9999'), 'Generic error');
  });

  it('groups codes as the API definition does', () => {
    assert.equal(errorGroup('1001'), 'communication');
    assert.equal(errorGroup('2004'), 'server');
    assert.equal(errorGroup('3001'), 'client');
    assert.equal(errorGroup('3106'), 'validation');
    assert.equal(errorGroup('3204'), 'identifier');
    assert.equal(errorGroup('3303'), 'expired');
    assert.equal(errorGroup('4001'), 'payer');
    assert.equal(errorGroup('5105'), 'payee');
    assert.equal(errorGroup('600'), 'unknown');
    assert.equal(errorGroup(undefined), 'unknown');
  });

  it('classifies every official code: one in doubt, four transient, two expired, the rest final', () => {
    const by = (d: string) => OFFICIAL.filter((c) => classifyError(c) === d);
    assert.deepEqual(by('in-doubt'), ['2004']);
    assert.deepEqual(by('transient'), ['1000', '1001', '2003', '2005']);
    assert.deepEqual(by('expired'), ['3302', '3303']);
    assert.equal(by('final').length, OFFICIAL.length - 7);
    // "try again later" is transient or in doubt; nothing else
    assert.deepEqual(OFFICIAL.filter(isTransientCode), ['1000', '1001', '2003', '2004', '2005']);
    assert.deepEqual(OFFICIAL.filter(isExpiredCode), ['3302', '3303']);
    assert.deepEqual(OFFICIAL.filter(isInDoubtCode), ['2004']);
    assert.equal(classifyError(undefined), 'final');
    assert.equal(classifyError('9999'), 'final');
  });

  it('maps a bare HTTP refusal to a code', () => {
    assert.equal(codeForHttpStatus(503), '2003');
    assert.equal(codeForHttpStatus(500), '2001');
    assert.equal(classifyError(codeForHttpStatus(503)), 'transient');
  });
});
