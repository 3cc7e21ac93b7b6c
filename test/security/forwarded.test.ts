import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { forwardedElement, forwardedHeaders } from '../../src/security/forwarded.js';

/** What forwardedHeaders reads of a request: its headers and its (plain TCP) socket. */
function req(headers: Record<string, string>, remoteAddress = '10.0.0.9'): IncomingMessage {
  return { headers, socket: { remoteAddress, localPort: 8080 } } as unknown as IncomingMessage;
}

const SPOOF = {
  host: 'app.example.com',
  'x-forwarded-for': '6.6.6.6',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example.com',
  'x-forwarded-port': '443',
  forwarded: 'for=6.6.6.6;proto=https',
  'x-real-ip': '6.6.6.6',
};

describe('forwarded headers', () => {
  it('from an untrusted peer: every forwarding header is wsgate\'s own', () => {
    assert.deepEqual(forwardedHeaders(req(SPOOF), false, '10.0.0.9'), {
      'x-forwarded-for': '10.0.0.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example.com',
      'x-forwarded-port': '8080',
      forwarded: 'for=10.0.0.9;host=app.example.com;proto=http',
      'x-real-ip': '10.0.0.9',
    });
  });

  it('from a trusted proxy: X-Forwarded-For and Forwarded extended, its proto/host/port kept, X-Real-IP the computed client', () => {
    assert.deepEqual(forwardedHeaders(req(SPOOF), true, '6.6.6.6'), {
      'x-forwarded-for': '6.6.6.6, 10.0.0.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example.com',
      'x-forwarded-port': '443',
      forwarded: 'for=6.6.6.6;proto=https, for=10.0.0.9;host=app.example.com;proto=http',
      'x-real-ip': '6.6.6.6',
    });
  });

  it('from a trusted proxy that sent none: the same as wsgate\'s own', () => {
    assert.deepEqual(forwardedHeaders(req({ host: 'a' }), true, '10.0.0.9'), forwardedHeaders(req({ host: 'a' }), false, '10.0.0.9'));
  });

  it('Forwarded element: IPv6 bracketed and quoted, a host with a port quoted, quotes escaped (RFC 7239)', () => {
    assert.equal(forwardedElement('fd00::1', 'a.example:8443', 'https'), 'for="[fd00::1]";host="a.example:8443";proto=https');
    assert.equal(forwardedElement('10.0.0.1', 'we"ird\\', 'http'), 'for=10.0.0.1;host="we\\"ird\\\\";proto=http');
    assert.equal(forwardedElement('', '', 'http'), 'for=unknown;proto=http');
  });
});
