/**
 * The FSPIOP protocol kit: headers and version negotiation, official errors, validation of every request and
 * callback against the v1.1 spec, value formats.
 */
import assert from 'node:assert/strict';
import {
  acceptHeader, answerVersion, checkBody, checkHeaders, contentTypeHeader, describeError, errorBody, fspiopAmount, fspiopDateTime,
  fspiopHeaders, isFspiopAmount, isFspiopDateTime, isOfficialErrorCode, isUuid, messageKind, negotiateVersion, parseContentType,
  validateMessage, ViolationLog, warmValidators,
} from '../../simulators/fspiop';
import * as edge from '../../simulators/payee-dfsp/edge';

const transfer = {
  transferId: 'b51ec534-ee48-4575-b6a9-ead2955b8069', payerFsp: 'govbank', payeeFsp: 'payeefsp1',
  amount: { currency: 'USD', amount: '10.5' }, ilpPacket:
    'AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF81MDdqUUZERmZlakgyOVc4bXFmNEpLMHlGTFGCAUBQU0svMS4wCk5vbmNlOiB1SXlweUYzY3pYSXBFdzVVc05TYWh3CkVuY3J5cHRpb246IG5vbmUKUGF5bWVudC1JZDogMTMyMzZhM2ItOGZhOC00MTYzLTg0NDctNGMzZWQzZGE5OGE3CgpDb250ZW50LUxlbmd0aDogMTM1CkNvbnRlbnQtVHlwZTogYXBwbGljYXRpb24vanNvbgpTZW5kZXItSWRlbnRpZmllcjogOTI4MDYzOTEKCiJ7XCJmZWVcIjowLFwidHJhbnNmZXJDb2RlXCI6XCJpbnZvaWNlXCIsXCJkZWJpdE5hbWVcIjpcImFsaWNlIGNvb3BlclwiLFwiY3JlZGl0TmFtZVwiOlwibWVyIGNoYW50XCIsXCJkZWJpdElkZW50aWZpZXJcIjpcIjkyODA2MzkxXCJ9IgA',
  condition: 'f5sqb7tBTWPd5Y8BDFdMm9BJR_MNI4isf8p8n4D5pHA', expiration: '2030-01-01T00:00:00.000Z',
};

describe('FSPIOP kit: headers', () => {
  it('builds Content-Type, Accept and the request/callback header sets', () => {
    assert.equal(contentTypeHeader('transfers'), 'application/vnd.interoperability.transfers+json;version=1.1');
    assert.equal(acceptHeader('quotes', '1.0'), 'application/vnd.interoperability.quotes+json;version=1');
    const req = fspiopHeaders('quotes', 'govbank', 'payeefsp1', false);
    assert.equal(req['fspiop-destination'], 'payeefsp1');
    assert.ok(req.accept);
    assert.ok(!Number.isNaN(Date.parse(req.date)));
    assert.equal(fspiopHeaders('quotes', 'payeefsp1', 'govbank', true).accept, undefined);
    assert.deepEqual(parseContentType('application/vnd.interoperability.parties+json;version=1.0'),
      { resource: 'parties', version: '1.0' });
  });

  it('negotiates versions: 406 with 3001 and the supported versions for an unsupported one', () => {
    assert.equal(negotiateVersion('application/vnd.interoperability.transfers+json;version=1', 'transfers'), '1.1');
    assert.equal(negotiateVersion('application/vnd.interoperability.transfers+json;version=1.0', 'transfers'), '1.0');
    assert.equal(negotiateVersion('application/vnd.interoperability.transfers+json;version=2', 'transfers'), undefined);
    assert.equal(negotiateVersion('application/json', 'transfers'), null);
    const h = fspiopHeaders('transfers', 'govbank', 'payeefsp1', false);
    const p = checkHeaders({ ...h, 'content-type': 'application/vnd.interoperability.transfers+json;version=2.0' }, 'transfers',
      { hasBody: true, isCallback: false });
    assert.equal(p?.status, 406);
    assert.equal(p?.body.errorInformation.errorCode, '3001');
    assert.deepEqual(p?.body.errorInformation.extensionList?.extension, [{ key: '1', value: '0' }, { key: '1', value: '1' }]);
    assert.equal(checkHeaders(h, 'transfers', { hasBody: true, isCallback: false }), undefined);
    assert.equal(checkHeaders({ ...h, date: undefined }, 'transfers', { hasBody: true, isCallback:
      false })?.body.errorInformation.errorCode, '3102');
    assert.equal(checkHeaders({ ...h, date: 'yesterday' }, 'transfers',
      { hasBody: true, isCallback: false })?.body.errorInformation.errorCode, '3101');
    assert.equal(checkHeaders({ ...h, 'fspiop-destination': undefined }, 'transfers',
      { hasBody: true, isCallback: false, requireDestination: true })?.body.errorInformation.errorCode, '3102');
    assert.equal(answerVersion({ 'content-type': 'application/vnd.interoperability.quotes+json;version=1.0' }), '1.0');
  });
});

describe('FSPIOP kit: errors', () => {
  it('uses the official descriptions and the errorInformation shape', () => {
    assert.equal(describeError('3201'), 'Destination FSP Error');
    assert.equal(describeError('4001'), 'Payer FSP insufficient liquidity');
    assert.ok(isOfficialErrorCode('3303'));
    assert.ok(!isOfficialErrorCode('9999'));
    const b = errorBody('3106', 'x'.repeat(200));
    assert.equal(b.errorInformation.errorCode, '3106');
    assert.equal(b.errorInformation.errorDescription.length, 128);
    assert.equal(checkBody('ErrorInformationObject', b), undefined);
  });
});

describe('FSPIOP kit: validation', () => {
  before(() => warmValidators());

  it('knows the schema of every request and callback', () => {
    assert.deepEqual(messageKind('POST', '/transfers'), { resource: 'transfers', isCallback: false, schema: 'TransfersPostRequest' });
    assert.deepEqual(messageKind('PUT', '/transfers/1'), { resource: 'transfers', isCallback: true, schema: 'TransfersIDPutResponse' });
    assert.deepEqual(messageKind('PATCH', '/transfers/1'), { resource: 'transfers', isCallback: true, schema: 'TransfersIDPatchResponse' });
    assert.equal(messageKind('PUT', '/bulkQuotes/1/error')?.schema, 'ErrorInformationObject');
    assert.equal(messageKind('PUT', '/parties/MSISDN/1')?.schema, 'PartiesTypeIDPutResponse');
    assert.equal(messageKind('POST', '/participants/MSISDN/1')?.schema, 'ParticipantsTypeIDSubIDPostRequest');
    assert.equal(messageKind('PUT', '/participants/abc')?.schema, 'ParticipantsIDPutResponse');
    assert.deepEqual(messageKind('GET', '/parties/MSISDN/1'), { resource: 'parties', isCallback: false });
    assert.equal(messageKind('POST', '/unknown'), undefined);
  });

  it('answers bad messages as the spec says and records the violation', () => {
    const h = fspiopHeaders('transfers', 'govbank', 'payeefsp1', false);
    assert.equal(validateMessage('POST', '/transfers', h, transfer), undefined);
    const log = new ViolationLog(2);
    const cases: Array<[unknown, string]> = [
      [{ ...transfer, amount: { currency: 'USD', amount: '10.50' } }, '3100'],
      [{ ...transfer, expiration: '2030-01-01T00:00:00Z' }, '3100'],
      [{ ...transfer, transferId: 'not-a-uuid' }, '3100'],
      [{ ...transfer, condition: undefined }, '3102'],
    ];
    for (const [body, code] of cases) {
      const p = validateMessage('POST', '/transfers', h, body);
      assert.equal(p?.status, 400);
      assert.equal(p?.body.errorInformation.errorCode, code, JSON.stringify(body).slice(0, 80));
      log.record('POST', '/transfers', h, p!);
    }
    assert.equal(log.items.length, 2);
    assert.equal(log.items[1].source, 'govbank');
    const items = Array.from({ length: 1001 }, (_, i) => ({ transferId: transfer.transferId.replace(/.{4}$/, String(1000 + i)),
      transferAmount: transfer.amount, ilpPacket: transfer.ilpPacket, condition: transfer.condition }));
    const bulk = { bulkTransferId: transfer.transferId, bulkQuoteId: transfer.transferId, payerFsp: 'govbank', payeeFsp: 'payeefsp1',
      individualTransfers: items, expiration: transfer.expiration };
    const bh = fspiopHeaders('bulkTransfers', 'govbank', 'payeefsp1', false);
    assert.equal(validateMessage('POST', '/bulkTransfers', bh, bulk)?.body.errorInformation.errorCode, '3103');
    assert.equal(validateMessage('POST', '/bulkTransfers', bh, { ...bulk, individualTransfers: items.slice(0, 1000) }), undefined);
    assert.equal(validateMessage('PUT', '/transfers/x', fspiopHeaders('transfers', 'payeefsp1', 'govbank', true),
      { transferState: 'DONE' })?.body.errorInformation.errorCode, '3100');
  });

  it('the payee DFSP edge module re-exports the kit', () => {
    assert.equal(edge.checkBody, checkBody);
    assert.equal(edge.errorBody, errorBody);
  });
});

describe('FSPIOP kit: formats', () => {
  it('amounts without trailing zeros, DateTime with 3 fractional digits, UUIDs', () => {
    assert.equal(fspiopAmount('10.50'), '10.5');
    assert.equal(fspiopAmount(1_000_000n), '100');
    assert.ok(isFspiopAmount('0.0001'));
    assert.ok(!isFspiopAmount('10.50'));
    assert.ok(!isFspiopAmount('01'));
    assert.match(fspiopDateTime(0), /^1970-01-01T00:00:00\.000Z$/);
    assert.ok(isFspiopDateTime('2026-01-01T10:00:00.000Z'));
    assert.ok(!isFspiopDateTime('2026-01-01T10:00:00Z'));
    assert.ok(!isFspiopDateTime('2026-01-01T10:00:00.0000Z'));
    assert.ok(isUuid('b51ec534-ee48-4575-b6a9-ead2955b8069'));
    assert.ok(!isUuid('b51ec534ee484575b6a9ead2955b8069'));
  });
});
