// X-Forwarded-Client-Cert values (Envoy's format) from a verified certificate: the subject in
// RFC 4514 order and escaping, SANs from Node's subjectAltName string, and nothing a certificate
// holds (quotes, separators, CR/LF, non-ASCII) can end a field or the header early.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rfc4514Subject, subjectAltNames, xfccHeader } from '../../src/proxy/client-certificate.js';

describe('X-Forwarded-Client-Cert', () => {
  test('the subject most specific first, RFC 4514 escapes; Node\'s JSON-quoted values read as values', () => {
    assert.equal(rfc4514Subject('C=DE\nO=Example, Inc.\nCN=device-1'), 'CN=device-1,O=Example\\, Inc.,C=DE');
    assert.equal(rfc4514Subject('CN="a\\nb+c"'), 'CN=a\\u000ab\\+c');
  });

  test('DNS and URI SANs, quoted ones included; other kinds left out', () => {
    assert.deepEqual(subjectAltNames('DNS:a.example, URI:spiffe://example.org/d/1, IP Address:10.0.0.1, DNS:"b, DNS:evil"'), {
      dns: ['a.example', 'b, DNS:evil'],
      uris: ['spiffe://example.org/d/1'],
    });
    assert.deepEqual(subjectAltNames(undefined), { dns: [], uris: [] });
  });

  test('values with separators are quoted and escaped; control characters never reach the header', () => {
    const header = xfccHeader({ hash: 'ab', subject: 'CN=x\\"y', dns: ['a;b=c'], uris: ['u\r\nX-Evil: 1'] });
    assert.equal(header, 'Hash=ab;Subject="CN=x\\\\\\"y";URI=u\\u000d\\u000aX-Evil: 1;DNS="a;b=c"');
    assert.doesNotMatch(header, /[\r\n]/);
  });
});
