import assert from 'node:assert/strict';
import { createHash, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import Hapi from '@hapi/hapi';
import { compactVerify, createRemoteJWKSet, exportJWK } from 'jose';
import { asciiJson, generateSigningKey, signedFieldPayload, signG2pMessage, verifyDetachedJws } from '../../shared/g2p-jws';
import { hashApiKey, newApiKey } from '../../orchestrator/security/credentials';
import { startHarness, type Harness } from '../orchestrator/support/world';
import { call, errorFormat, validRequest } from './support';

describe('security: G2P Connect message signatures', function () {
  this.timeout(120_000);
  let h: Harness;
  let receiver: Hapi.Server;
  const received: Array<{ raw: Buffer; signature?: string }> = [];
  const apiKey = newApiKey();
  let sender: Awaited<ReturnType<typeof generateSigningKey>>;
  let stranger: Awaited<ReturnType<typeof generateSigningKey>>;
  let callbackUrl: string;

  before(async () => {
    sender = await generateSigningKey('openg2p-1');
    stranger = await generateSigningKey('openg2p-1');
    receiver = Hapi.server({ port: 0, host: '127.0.0.1' });
    receiver.route({
      method: 'POST', path: '/{p*}', options: { payload: { parse: false, output: 'data' } },
      handler: (req) => {
        received.push({ raw: req.payload as Buffer, signature: typeof req.headers.signature === 'string' ? req.headers.signature
          : undefined });
        return { message: { ack_status: 'ACK' } };
      },
    });
    await receiver.start();
    callbackUrl = `http://127.0.0.1:${receiver.info.port}`;
    h = await startHarness({
      auth: { mode: 'on', apiKeys: [{ client: 'openg2p', keyHash: hashApiKey(apiKey), programs: ['*'] }] },
      g2pSignatures: { mode: 'required', senders: { openg2p: { jwks: { keys: [sender.publicJwk] } } } },
    });
  });

  after(async () => {
    await h?.stop();
    await receiver?.stop();
  });

  const disburse = (key: string) => {
    const r = validRequest('g2p-connect', key);
    const body = r.body as { header: Record<string, unknown>; message: unknown };
    body.header.sender_uri = callbackUrl;
    return { header: body.header, message: body.message };
  };

  it('NACKs an unsigned, a wrongly signed and a tampered disburse, and stores nothing', async () => {
    const unsigned = disburse('unsigned');
    const a = await call(h.orch.url, 'POST', '/disburse', { body: unsigned, auth: apiKey });
    assert.equal(a.status, 401);
    assert.equal(errorFormat('g2p-connect', a), 'NACK err.signature.missing');

    const wrong = await signG2pMessage(stranger.key, disburse('wrong-key'));
    const b = await call(h.orch.url, 'POST', '/disburse', { body: wrong.body, headers: wrong.headers, auth: apiKey });
    assert.equal(errorFormat('g2p-connect', b), 'NACK err.signature.invalid');

    const good = await signG2pMessage(sender.key, disburse('tampered'));
    const tampered = good.body.replace('"5.00"', '"500.00"');
    const c = await call(h.orch.url, 'POST', '/disburse', { body: tampered, headers: good.headers, auth: apiKey });
    assert.equal(errorFormat('g2p-connect', c), 'NACK err.signature.invalid');

    const s = await call(h.orch.url, 'POST', '/disburse/txn/status', { body:
      { header: { ...unsigned.header, action: 'txn-status' }, message: {} }, auth: apiKey });
    assert.equal(errorFormat('g2p-connect', s), 'NACK err.signature.missing');
    for (const k of ['unsigned', 'wrong-key', 'tampered']) assert.equal(await h.orch.service.findBatchBySourceKey('g2p-connect', k),
      undefined);
  });

  it('accepts the Signature header alone, the signature field alone (JWS or the spec\'s keyId string), over the body as sent or ' +
    're-serialised', async () => {
    // Header only, over the body re-serialised (a sender whose bytes differ from the compact form).
    const e1 = disburse('header-only');
    const pretty = JSON.stringify(e1, null, 2);
    const compact = asciiJson(JSON.parse(pretty));
    const { FlattenedSign } = await import('jose');
    const flat = await new FlattenedSign(Buffer.from(compact)).setProtectedHeader({ alg: 'EdDSA', kid:
      'openg2p-1' }).sign(sender.key.privateKey);
    const a = await call(h.orch.url, 'POST', '/disburse', { body: pretty, headers: { signature: `${flat.protected}..${flat.signature}` },
      auth: apiKey });
    assert.equal(a.body?.message?.ack_status, 'ACK', a.text);

    // Field only (JWS form).
    const e2 = disburse('field-only');
    const signed = JSON.parse((await signG2pMessage(sender.key, e2)).body);
    const b = await call(h.orch.url, 'POST', '/disburse', { body: signed, auth: apiKey });
    assert.equal(b.body?.message?.ack_status, 'ACK', b.text);

    // Field only, the spec's string form over (created), (expires) and a BLAKE-512 digest of {header}+{message}.
    const e3 = disburse('spec-string');
    const created = Math.floor(Date.now() / 1000);
    const expires = created + 300;
    const digest = createHash('blake2b512').update(signedFieldPayload(e3)).digest('base64');
    const signingString = `(created): ${created}\n(expires): ${expires}\ndigest: BLAKE-512=${digest}`;
    const priv = createPrivateKey({ key: await exportJWK(sender.key.privateKey) as never, format: 'jwk' });
    const sig = cryptoSign(null, Buffer.from(signingString), priv).toString('base64');
    const field =
      `keyId="openg2p|openg2p-1|ed25519",algorithm="ed25519",created="${created}",expires="${expires}",headers="(created) (expires) ` +
        `digest",signature="${sig}"`;
    const c = await call(h.orch.url, 'POST', '/disburse', { body: { signature: field, ...e3 }, auth: apiKey });
    assert.equal(c.body?.message?.ack_status, 'ACK', c.text);
    // The same string over another message is refused.
    const d = await call(h.orch.url, 'POST', '/disburse', { body: { signature: field, ...disburse('spec-string-2') }, auth: apiKey });
    assert.equal(errorFormat('g2p-connect', d), 'NACK err.signature.invalid');
  });

  it('signs its on-disburse callbacks; they verify against the JWKS GPO publishes', async () => {
    const signed = await signG2pMessage(sender.key, disburse('callbacks'));
    const a = await call(h.orch.url, 'POST', '/disburse', { body: signed.body, headers: signed.headers, auth: apiKey });
    assert.equal(a.body?.message?.ack_status, 'ACK', a.text);
    for (let i = 0; i < 1000 && !received.some((r) => r.raw.toString().includes('"callbacks"')
      || JSON.parse(r.raw.toString()).header?.status === 'succ'); i++) await new Promise((r) => setTimeout(r, 10));
    const final = received.find((r) => JSON.parse(r.raw.toString()).header?.status === 'succ');
    assert.ok(final, 'no final on-disburse callback');
    const published = await call(h.orch.url, 'GET', '/.well-known/jwks.json');
    assert.equal(published.status, 200);
    assert.equal(published.body.keys.length, 1);
    assert.equal(published.body.keys[0].d, undefined, 'the private part is published');
    const keys = createRemoteJWKSet(new URL(h.orch.jwksUrl));
    assert.ok(await verifyDetachedJws(final.signature!, [final.raw], keys), 'the Signature header does not verify');
    const body = JSON.parse(final.raw.toString());
    assert.ok(await verifyDetachedJws(body.signature, [signedFieldPayload(body)], keys), 'the signature field does not verify');
    // A tampered callback would not.
    assert.equal(await verifyDetachedJws(final.signature!, [Buffer.from(final.raw.toString().replace('succ', 'rjct'))], keys), false);
    const [p, , s] = final.signature!.split('.');
    await assert.rejects(compactVerify(`${p}.${Buffer.from('{}').toString('base64url')}.${s}`, keys));
  });
});
