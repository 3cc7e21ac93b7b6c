import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileOriginPolicy, originAllowed } from '../../src/security/origin.js';

describe('origin policy', () => {
  const p = compileOriginPolicy(['https://app.example.com', 'https://*.example.org', 'http://localhost:3000'], false);

  it('allows exact origins, case-insensitively and with the default port dropped', () => {
    assert.ok(originAllowed(p, 'https://app.example.com'));
    assert.ok(originAllowed(p, 'HTTPS://App.Example.com'));
    assert.ok(originAllowed(p, 'https://app.example.com:443'));
    assert.ok(originAllowed(p, 'http://localhost:3000'));
  });

  it('refuses other schemes, ports, hosts and look-alikes', () => {
    for (const o of ['http://app.example.com', 'https://app.example.com:8443', 'https://evil.com', 'https://app.example.com.evil.com', 'http://localhost:3001', 'null', 'https://app.example.com/path', 'https://app.example.com, https://evil.com']) {
      assert.equal(originAllowed(p, o), false, o);
    }
  });

  it('wildcards need at least one label before the suffix', () => {
    assert.ok(originAllowed(p, 'https://a.example.org'));
    assert.ok(originAllowed(p, 'https://a.b.example.org'));
    assert.equal(originAllowed(p, 'https://example.org'), false);
    assert.equal(originAllowed(p, 'https://xexample.org'), false);
    assert.equal(originAllowed(p, 'http://a.example.org'), false);
  });

  it('a missing Origin follows allowMissingOrigin (default true)', () => {
    assert.equal(originAllowed(p, undefined), false);
    assert.equal(originAllowed(compileOriginPolicy(['https://a.com'], undefined), undefined), true);
  });

  it('empty list or * allows any origin', () => {
    assert.ok(originAllowed(compileOriginPolicy(undefined, undefined), 'https://anything.test'));
    assert.ok(originAllowed(compileOriginPolicy(['*'], true), 'null'));
  });
});
