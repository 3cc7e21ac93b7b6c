// The --tls-* flags end to end: a bad name stops wsgate at start with one line and exit 1, and a
// running wsgate (two worker threads: the policy travels to each data plane) refuses a TLS 1.2
// client under --tls-min-version TLSv1.3 while a TLS 1.3 client gets its upgrade.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { runCli, startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

describe('--tls-* flags', () => {
  test('a bad cipher, curve or version order stops wsgate at start with one line naming it, exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--tls-ciphers', 'ECDHE-ECDSA-AES128-GCM-SHA256:NOT-A-SUITE'], /^error: option '--tls-ciphers <list>' argument '.*' is invalid\. unknown cipher suite NOT-A-SUITE/],
      [['--tls-ecdh-curves', 'X25519:P-999'], /^error: option '--tls-ecdh-curves <list>' argument '.*' is invalid\. unknown ECDH curve P-999/],
      [['--tls-min-version', 'TLSv1.1'], /^error: option '--tls-min-version <version>' argument 'TLSv1.1' is invalid/],
      [['--tls-min-version', 'TLSv1.3', '--tls-max-version', 'TLSv1.2'], /^error: --tls-min-version\/--tls-max-version: the minimum version TLSv1.3 is above the maximum TLSv1.2/],
    ];
    for (const [args, line] of cases) {
      const r = await runCli(['standalone', '--config', 'unused.yaml', ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, line, args.join(' '));
    }
  });
});

describe('--tls-min-version TLSv1.3 on a running wsgate', () => {
  let backend: EchoServer;
  let gw: WsgateChild;

  before(async () => {
    backend = await startEchoServer({ name: 'b' });
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'tls.key', '-out', 'tls.crt', '-days', '2', '-subj', '/CN=localhost'], { cwd: dir, stdio: 'ignore' });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(file, routesYaml([{ name: 'echo', spec: { match: { path: '/echo' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] } } }]));
    gw = await startWsgate(['standalone', '--config', file, '--workers', '2', '--tls-listen', '127.0.0.1:0', '--tls-cert', path.join(dir, 'tls.crt'), '--tls-key', path.join(dir, 'tls.key'), '--tls-min-version', 'TLSv1.3']);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  /** A handshake and an upgrade; resolves with the status line, or the handshake's error. */
  function upgradeOver(maxVersion: tls.SecureVersion): Promise<string> {
    return new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: gw.tlsPort!, rejectUnauthorized: false, maxVersion });
      let head = '';
      socket.once('secureConnect', () => socket.write(upgradeRequest('/echo')));
      socket.on('data', (c: Buffer) => {
        head += c.toString('latin1');
        if (head.includes('\r\n')) {
          socket.destroy();
          resolve(head.slice(0, head.indexOf('\r\n')));
        }
      });
      socket.once('error', (err) => {
        socket.destroy();
        resolve(`error: ${err.message}`);
      });
    });
  }

  test('every worker refuses TLS 1.2 clients and serves TLS 1.3 ones', async () => {
    // Several connections: the two worker threads both take some of them.
    for (let i = 0; i < 6; i++) {
      assert.match(await upgradeOver('TLSv1.2'), /^error: .*(protocol version|alert)/i);
      assert.equal(await upgradeOver('TLSv1.3'), 'HTTP/1.1 101 Switching Protocols');
    }
  });
});
