// The TLS listener's policy (--tls-min-version, --tls-ciphers, --tls-ecdh-curves) against real
// node:tls clients: a handshake the policy forbids fails, one it allows succeeds, both for clients
// without SNI (the default certificate) and with it (a per-name context, which must not bring
// back the defaults).

import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { GatewaySocketBinder } from '../../src/proxy/gateway-socket-binder.js';
import { TlsListener } from '../../src/proxy/tls-listener.js';
import { serverContext } from '../../src/security/tls-store.js';
import type { TlsPolicy } from '../../src/api/tls-policy.js';
import { makeCa, type TestCa } from '../helpers/certs.js';

const NAME = 'policy.test';

interface Running {
  port: number;
  close(): Promise<void>;
}

let ca: TestCa;
let leaf: { cert: string; key: string };

before(() => {
  ca = makeCa();
  leaf = ca.issue(NAME, [NAME]);
});

async function start(policy: TlsPolicy): Promise<Running> {
  const server = http.createServer((_req, res) => res.end('ok'));
  const sni = serverContext(leaf.cert, leaf.key).context;
  const listener = new TlsListener({ server, contextFor: (name) => (name === NAME ? sni : undefined), servedBy: () => '', handshakeTimeoutMs: 5000, log: pino({ level: 'silent' }), policy });
  listener.setDefault(leaf);
  const address: net.AddressInfo = await listener.listen('127.0.0.1', 0);
  return {
    port: address.port,
    async close() {
      await listener.stopAccepting();
      server.closeAllConnections();
    },
  };
}

type Outcome = { ok: true; version: string; cipher: string; group: string } | { ok: false; error: string };

/** One handshake; resolves with what was negotiated or why it failed. */
function handshake(port: number, client: tls.ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, ...client });
    socket.once('secureConnect', () => {
      const outcome: Outcome = { ok: true, version: socket.getProtocol() ?? '', cipher: socket.getCipher().name, group: (socket.getEphemeralKeyInfo() as tls.EphemeralKeyInfo | null)?.name ?? '' };
      socket.destroy();
      resolve(outcome);
    });
    socket.once('error', (err) => {
      socket.destroy();
      resolve({ ok: false, error: err.message });
    });
  });
}

for (const sni of [false, true]) {
  const withName = sni ? { servername: NAME } : { checkServerIdentity: () => undefined };
  describe(`TLS policy on the TLS listener (${sni ? 'SNI certificate' : 'default certificate'})`, () => {
    describe('--tls-min-version TLSv1.3', () => {
      let srv: Running;
      before(async () => (srv = await start({ minVersion: 'TLSv1.3' })));
      after(() => srv.close());

      it('refuses a TLS 1.2 client', async () => {
        const out = await handshake(srv.port, { ...withName, maxVersion: 'TLSv1.2' });
        assert.equal(out.ok, false, JSON.stringify(out));
      });
      it('serves a TLS 1.3 client', async () => {
        const out = await handshake(srv.port, { ...withName });
        assert.equal(out.ok && out.version, 'TLSv1.3');
      });
    });

    describe('default policy (no flags)', () => {
      let srv: Running;
      before(async () => (srv = await start({})));
      after(() => srv.close());

      it('still serves a TLS 1.2 client, and refuses TLS 1.1', async () => {
        const v12 = await handshake(srv.port, { ...withName, maxVersion: 'TLSv1.2' });
        assert.equal(v12.ok && v12.version, 'TLSv1.2');
        const v11 = await handshake(srv.port, { ...withName, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
        assert.equal(v11.ok, false);
      });
    });

    describe('--tls-ciphers (TLS 1.2 and TLS 1.3 names)', () => {
      let srv: Running;
      before(async () => (srv = await start({ ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:TLS_AES_256_GCM_SHA384' })));
      after(() => srv.close());

      it('refuses a TLS 1.2 client whose only suite is outside the list', async () => {
        const out = await handshake(srv.port, { ...withName, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
        assert.equal(out.ok, false, JSON.stringify(out));
      });
      it('negotiates the listed TLS 1.2 suite', async () => {
        const out = await handshake(srv.port, { ...withName, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384' });
        assert.equal(out.ok && out.cipher, 'ECDHE-ECDSA-AES256-GCM-SHA384');
      });
      it('refuses a TLS 1.3 client whose only suite is outside the list', async () => {
        const out = await handshake(srv.port, { ...withName, minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
        assert.equal(out.ok, false, JSON.stringify(out));
      });
      it('negotiates the listed TLS 1.3 suite', async () => {
        const out = await handshake(srv.port, { ...withName, minVersion: 'TLSv1.3' });
        assert.equal(out.ok && out.cipher, 'TLS_AES_256_GCM_SHA384');
      });
    });

    describe('--tls-ecdh-curves P-384', () => {
      let srv: Running;
      before(async () => (srv = await start({ ecdhCurves: 'P-384' })));
      after(() => srv.close());

      it('refuses a client offering only X25519', async () => {
        const out = await handshake(srv.port, { ...withName, ecdhCurve: 'X25519' });
        assert.equal(out.ok, false, JSON.stringify(out));
      });
      it('uses P-384 with a client offering it', async () => {
        const out = await handshake(srv.port, { ...withName, ecdhCurve: 'X25519:P-384' });
        assert.equal(out.ok && out.group, 'secp384r1');
      });
    });
  });
}

describe('TLS policy on a Gateway HTTPS socket (tls.options over the flags)', () => {
  it('applies the listener\'s minimum, and a changed policy binds the socket again with the new one', async () => {
    const servers: http.Server[] = [];
    const sockets = new GatewaySocketBinder({
      log: pino({ level: 'silent' }),
      serverFor: () => {
        const s = http.createServer((_req, res) => res.end('ok'));
        servers.push(s);
        return s;
      },
      retire: () => {},
      tlsHandshakeTimeoutMs: 5000,
      // The flags' policy: its curve list stays under the listener's own minimum. P-256 is in it
      // because the test certificate is ECDSA P-256: TLS 1.2 signs only with a shared group.
      tlsPolicy: { ecdhCurves: 'P-384:P-256' },
    });
    const ctx = serverContext(leaf.cert, leaf.key);
    const certificates = [{ hostname: '', tls: { context: ctx.context, secret: 'infra/c', notAfter: ctx.notAfter }, pem: { cert: Buffer.from(leaf.cert), key: Buffer.from(leaf.key) } }];
    const spec = { key: 'gw-443', address: '127.0.0.1', port: 0, protocol: 'HTTPS' as const, certificates };
    const client = { servername: NAME, ecdhCurve: 'X25519:P-384:P-256' };
    try {
      await sockets.sync([{ ...spec, tlsPolicy: { minVersion: 'TLSv1.3' } }]);
      const strict = sockets.address('gw-443')!.port;
      assert.equal((await handshake(strict, { ...client, maxVersion: 'TLSv1.2' })).ok, false);
      const v13 = await handshake(strict, client);
      assert.deepEqual(v13.ok && [v13.version, v13.group], ['TLSv1.3', 'secp384r1']);

      await sockets.sync([spec]);
      const relaxed = sockets.address('gw-443')!.port;
      const v12 = await handshake(relaxed, { ...client, maxVersion: 'TLSv1.2' });
      assert.equal(v12.ok ? v12.version : v12.error, 'TLSv1.2');
      // The flags' curves still hold on the rebound socket.
      assert.equal((await handshake(relaxed, { servername: NAME, ecdhCurve: 'X25519' })).ok, false);
    } finally {
      await sockets.stopAccepting();
      for (const s of servers) s.closeAllConnections();
    }
  });
});
