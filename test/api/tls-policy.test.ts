import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alpnOf, cipherProblem, curveProblem, mergePolicy, parseAlpn, policyProblem, secureOptions } from '../../src/api/tls-policy.js';

describe('TLS policy names', () => {
  it('accepts TLS 1.2 and TLS 1.3 suite names, in any case, and names the unknown ones', () => {
    assert.equal(cipherProblem('ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_256_GCM_SHA384'), undefined);
    assert.equal(cipherProblem('ecdhe-rsa-aes128-gcm-sha256'), undefined);
    assert.match(cipherProblem('ECDHE-RSA-AES128-GCM-SHA256:NOPE:HIGH') ?? '', /unknown cipher suite NOPE, HIGH/);
    assert.match(cipherProblem(':') ?? '', /empty/);
  });

  it('accepts curves OpenSSL can set and names the unknown ones', () => {
    assert.equal(curveProblem('X25519:P-256:P-384'), undefined);
    assert.match(curveProblem('X25519:P-999') ?? '', /unknown ECDH curve P-999/);
    assert.match(curveProblem('') ?? '', /empty/);
  });

  it('refuses a minimum above the maximum', () => {
    assert.match(policyProblem({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }) ?? '', /above the maximum/);
    assert.equal(policyProblem({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }), undefined);
  });
});

describe('ALPN lists', () => {
  it('offers h2 then http/1.1 by default; a list of protocols wsgate speaks, each once, with http/1.1, is taken in its order', () => {
    assert.deepEqual(alpnOf(undefined), ['h2', 'http/1.1']);
    assert.deepEqual(parseAlpn('http/1.1'), { ok: true, alpn: ['http/1.1'] });
    assert.deepEqual(parseAlpn(' http/1.1, h2 '), { ok: true, alpn: ['http/1.1', 'h2'] });
  });
  it('refuses unknown protocols, repeats, an empty list and a list without http/1.1, saying why', () => {
    assert.match((parseAlpn('h2,spdy/3,http/1.1') as { message: string }).message, /unknown ALPN protocol spdy\/3 \(wsgate speaks h2, http\/1\.1\)/);
    assert.match((parseAlpn('h2,h2,http/1.1') as { message: string }).message, /listed twice/);
    assert.match((parseAlpn(' , ') as { message: string }).message, /empty/);
    assert.match((parseAlpn('h2') as { message: string }).message, /must offer http\/1\.1/);
  });
});

describe('TLS policy as server options', () => {
  it('keeps TLS 1.2 as the floor when no minimum is given, and passes the lists on', () => {
    assert.deepEqual(secureOptions(undefined), { minVersion: 'TLSv1.2' });
    assert.deepEqual(secureOptions({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: ' TLS_AES_256_GCM_SHA384 ', ecdhCurves: 'X25519:P-256' }), {
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ciphers: 'TLS_AES_256_GCM_SHA384',
      ecdhCurve: 'X25519:P-256',
    });
  });

  it('a Gateway listener\'s options go over the flags field by field', () => {
    assert.deepEqual(mergePolicy({ minVersion: 'TLSv1.2', ciphers: 'A' }, { minVersion: 'TLSv1.3' }), { minVersion: 'TLSv1.3', ciphers: 'A' });
    assert.deepEqual(mergePolicy(undefined, { ecdhCurves: 'X25519' }), { ecdhCurves: 'X25519' });
    assert.deepEqual(mergePolicy({ minVersion: 'TLSv1.3' }, undefined), { minVersion: 'TLSv1.3' });
  });
});
