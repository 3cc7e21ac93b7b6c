// --proxy-protocol through real wsgate processes: PROXY v1 and v2 headers from an allowed
// balancer (the backend's X-Forwarded-For and Forwarded, the access log, per-client limits and
// sourceIP hashing all see the carried client), over TLS too, under --workers 2; refusals: a
// header from a peer outside the CIDRs, a missing, malformed or late header from one inside.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics-scrape.js';
import { proxyV1, proxyV2 } from '../helpers/proxy-header.js';
import { rawUpgradeHello, type RawUpgradeOptions } from '../helpers/raw-ws.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const TLS = { rejectUnauthorized: false, servername: 'localhost' };

describe('PROXY protocol (--proxy-protocol)', () => {
  let b1: EchoServer;
  let b2: EchoServer;
  /** Believes 127.0.0.1 (the tests' own address) as a balancer; --workers 2, TLS listener. */
  let gw: WsgateChild;
  /** Believes only 192.0.2.0/24: the tests' connections come from outside its CIDRs. */
  let outsider: WsgateChild;

  before(async () => {
    b1 = await startEchoServer({ name: 'b1' });
    b2 = await startEchoServer({ name: 'b2' });
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'tls.key', '-out', 'tls.crt', '-days', '2', '-subj', '/CN=localhost'], { cwd: dir, stdio: 'ignore' });
    const file = path.join(dir, 'routes.yaml');
    const one = [{ host: '127.0.0.1', port: b1.port }];
    const both = [...one, { host: '127.0.0.1', port: b2.port }];
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'open', spec: { match: { path: '/open' }, backend: { endpoints: one } } },
        { name: 'limited', spec: { match: { path: '/limited' }, backend: { endpoints: one }, limits: { maxConnectionsPerClient: 1 } } },
        { name: 'hashed', spec: { match: { path: '/hashed' }, backend: { endpoints: both }, loadBalancer: { policy: 'ConsistentHash', hashOn: { sourceIP: true } } } },
      ]),
    );
    const tlsArgs = ['--tls-listen', '127.0.0.1:0', '--tls-cert', path.join(dir, 'tls.crt'), '--tls-key', path.join(dir, 'tls.key')];
    [gw, outsider] = await Promise.all([
      startWsgate(['standalone', '--config', file, '--proxy-protocol', '127.0.0.1/32', '--handshake-timeout', '1s', '--workers', '2', ...tlsArgs]),
      startWsgate(['standalone', '--config', file, '--proxy-protocol', '192.0.2.0/24', ...tlsArgs]),
    ]);
  });

  after(async () => {
    await Promise.all([gw?.stop(), outsider?.stop()]);
    await Promise.all([b1?.close(), b2?.close()]);
  });

  const upgrade = (port: number, route: string, opts: RawUpgradeOptions) => rawUpgradeHello(port, upgradeRequest(route), 5000, opts);

  test('v1 TCP4 and TCP6, v2 IPv4 with TLVs and IPv6: the backend sees the carried client in X-Forwarded-For and Forwarded; the access log names it', async () => {
    const cases: Array<[Buffer, string, string]> = [
      [proxyV1('203.0.113.7', 40001), '203.0.113.7', 'for=203.0.113.7'],
      [proxyV1('2001:db8::7', 40002), '2001:db8::7', 'for="[2001:db8::7]"'],
      [proxyV2({ src: '198.51.100.9', tlvs: [{ type: 0x01, value: Buffer.from('http/1.1') }, { type: 0xea, value: Buffer.from('vpce-0abc') }] }), '198.51.100.9', 'for=198.51.100.9'],
      [proxyV2({ src: '2001:db8:0:1::9' }), '2001:db8:0:1::9', 'for="[2001:db8:0:1::9]"'],
    ];
    for (const [prefix, client, forwarded] of cases) {
      const logged = gw.waitForLog(new RegExp(`"client":"${client.replace(/\./g, '\\.')}"[^\\n]*"msg":"connection closed"`));
      const r = await upgrade(gw.proxyPort, '/open', { prefix });
      assert.equal(r.status, 101, client);
      assert.equal(r.hello?.headers['x-forwarded-for'], client);
      assert.equal(r.hello?.headers['x-real-ip'], client);
      assert.match(String(r.hello?.headers['forwarded']), new RegExp(forwarded.replace(/[.[\]]/g, '\\$&')));
      await logged;
    }
  });

  test('v2 LOCAL (a balancer health check): the connection\'s own address is the client', async () => {
    const r = await upgrade(gw.proxyPort, '/open', { prefix: proxyV2({ command: 'LOCAL', src: '203.0.113.50' }) });
    assert.equal(r.status, 101);
    assert.equal(r.hello?.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('per-client limits count the carried client, not the balancer', async () => {
    const first = await upgrade(gw.proxyPort, '/limited', { prefix: proxyV1('203.0.113.1', 1), keepOpen: true });
    try {
      assert.equal(first.status, 101);
      assert.equal((await upgrade(gw.proxyPort, '/limited', { prefix: proxyV2({ src: '203.0.113.1' }) })).status, 429);
      assert.equal((await upgrade(gw.proxyPort, '/limited', { prefix: proxyV1('203.0.113.2', 2) })).status, 101);
    } finally {
      first.socket.destroy();
    }
  });

  test('sourceIP hashing: one carried client always reaches one backend; many carried clients spread over both', async () => {
    const backendOf = async (client: string) => (await upgrade(gw.proxyPort, '/hashed', { prefix: proxyV1(client, 3) })).hello?.backend;
    const first = await backendOf('198.51.100.77');
    for (let i = 0; i < 4; i++) assert.equal(await backendOf('198.51.100.77'), first);
    // Hashing the balancer's address would put all 32 on one backend (a chance of 2^-31 otherwise).
    const seen = new Set<string | undefined>();
    for (let i = 1; i <= 32; i++) seen.add(await backendOf(`198.51.100.${i}`));
    assert.deepEqual([...seen].sort(), ['b1', 'b2']);
  });

  test('over TLS: the header comes before the handshake; the carried client is the client', async () => {
    const v1 = await upgrade(gw.tlsPort!, '/open', { prefix: proxyV1('203.0.113.30', 5), tls: TLS });
    assert.equal(v1.status, 101);
    assert.equal(v1.hello?.headers['x-forwarded-for'], '203.0.113.30');
    assert.equal(v1.hello?.headers['x-forwarded-proto'], 'https');
    const v2 = await upgrade(gw.tlsPort!, '/open', { prefix: proxyV2({ src: '2001:db8::30' }), tls: TLS });
    assert.equal(v2.hello?.headers['x-forwarded-for'], '2001:db8::30');
    assert.equal((await upgrade(gw.tlsPort!, '/open', { tls: TLS })).status, 0, 'no header before the ClientHello: closed');
  });

  test('an allowed balancer without a header, with a malformed one, or too slow with it: closed', async () => {
    assert.equal((await upgrade(gw.proxyPort, '/open', {})).status, 0);
    assert.equal((await upgrade(gw.proxyPort, '/open', { prefix: Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 99999 80\r\n') })).status, 0);
    const badTlv = proxyV2({ tlvs: [{ type: 1, value: Buffer.from('abc') }] });
    badTlv.writeUInt16BE(300, badTlv.length - 5);
    assert.equal((await upgrade(gw.proxyPort, '/open', { prefix: badTlv })).status, 0);
    // Half a header and then nothing: closed by the handshake timeout (1 s), never answered.
    const slow = await rawUpgradeHello(gw.proxyPort, '', 10_000, { prefix: proxyV1('203.0.113.7', 1).subarray(0, 20) });
    assert.equal(slow.status, 0);
  });

  test('a peer outside the CIDRs: a header (v1, v2, over TLS) closes the connection; without one it is served as itself', async () => {
    assert.equal((await upgrade(outsider.proxyPort, '/open', { prefix: proxyV1('203.0.113.7', 1) })).status, 0);
    assert.equal((await upgrade(outsider.proxyPort, '/open', { prefix: proxyV2() })).status, 0);
    assert.equal((await upgrade(outsider.tlsPort!, '/open', { prefix: proxyV1('203.0.113.7', 1), tls: TLS })).status, 0);
    const plain = await upgrade(outsider.proxyPort, '/open', {});
    assert.equal(plain.status, 101);
    assert.equal(plain.hello?.headers['x-forwarded-for'], '127.0.0.1');
    const secure = await upgrade(outsider.tlsPort!, '/open', { tls: TLS });
    assert.equal(secure.status, 101);
  });

  test('wsgate_proxy_protocol_refused_total counts each refusal by reason, summed over the workers; every reason is exported from 0', async () => {
    const refused = (text: string, reason: string) => seriesValue(text, 'wsgate_proxy_protocol_refused_total', `reason="${reason}"`);
    const reasons = ['malformed', 'missing', 'not_allowed', 'timeout'];
    const [gwBefore, outBefore] = await Promise.all([scrapeMetrics(gw), scrapeMetrics(outsider)]);
    for (const reason of reasons) assert.match(gwBefore, new RegExp(`^wsgate_proxy_protocol_refused_total\\{reason="${reason}"\\} \\d+$`, 'm'), reason);
    // Two of each kind: with --workers 2 they may land on either worker; the scrape sums both.
    for (let i = 0; i < 2; i++) {
      assert.equal((await upgrade(gw.proxyPort, '/open', {})).status, 0);
      assert.equal((await upgrade(gw.proxyPort, '/open', { prefix: Buffer.from('PROXY TCP9 203.0.113.7 127.0.0.1 1 80\r\n') })).status, 0);
      assert.equal((await upgrade(outsider.proxyPort, '/open', { prefix: proxyV2() })).status, 0);
    }
    assert.equal((await rawUpgradeHello(gw.proxyPort, '', 10_000, { prefix: proxyV1('203.0.113.7', 1).subarray(0, 20) })).status, 0);
    const [gwAfter, outAfter] = await Promise.all([scrapeMetrics(gw), scrapeMetrics(outsider)]);
    const delta = (before: string, after: string) => Object.fromEntries(reasons.map((r) => [r, refused(after, r) - refused(before, r)]));
    assert.deepEqual(delta(gwBefore, gwAfter), { malformed: 2, missing: 2, not_allowed: 0, timeout: 1 });
    assert.deepEqual(delta(outBefore, outAfter), { malformed: 0, missing: 0, not_allowed: 2, timeout: 0 });
  });
});
