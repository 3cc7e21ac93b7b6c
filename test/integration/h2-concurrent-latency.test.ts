// Concurrent plain requests on one HTTP/2 session through a real `wsgate standalone` (issue 25):
// no answer may wait for a timer of the TCP stack (Nagle on the session's or the backend's socket
// against the peer's delayed ACK: 40 ms and more) or for a write left unflushed. 16 requests at a
// time on one session, over TLS (ALPN h2) and over h2c on the plain listener, to a local HTTP/1.1
// backend: the median answer, on the test's own clock, stays far under those timers. (Issue 25's
// 235-380 ms per request with 10 x 10 streams was queueing at a saturated event loop, in-flight
// requests / requests per second, not a stall: see bench/results/profile/FINDINGS.md.)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http2 from 'node:http2';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCa, writeSecret } from '../helpers/certs.js';
import { closeSession, h2cConnect, h2Connect, h2Request } from '../helpers/h2-client.js';
import { startHttpBackend, type HttpBackend } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const HOST = 'h2lat.test';
/** Streams in flight at once on the one session. */
const CONCURRENT = 16;
/** Rounds of CONCURRENT requests (the first warms the backend pool and the JIT). */
const ROUNDS = 6;
/** Far under the 40 ms a delayed ACK holds a Nagle-delayed write (200 ms on some stacks). */
const MEDIAN_BOUND_MS = 25;

/** The time of each request of ROUNDS rounds of CONCURRENT at once, past the first round (ms). */
async function concurrentTimes(session: http2.ClientHttp2Session): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const start = performance.now();
        const r = await h2Request(session, { ':method': 'GET', ':path': `/app/hello?r=${round}&i=${i}`, ':authority': HOST });
        return { status: r.status, ms: performance.now() - start };
      }),
    );
    for (const a of answers) assert.equal(a.status, 200);
    if (round > 0) times.push(...answers.map((a) => a.ms));
  }
  return times;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe(`${CONCURRENT} concurrent plain requests on one HTTP/2 session`, () => {
  let backend: HttpBackend;
  let gw: WsgateChild;
  let ca: string;

  before(async () => {
    const testCa = makeCa();
    ca = testCa.cert;
    const leaf = testCa.issue(HOST, [HOST]);
    backend = await startHttpBackend('h2lat');
    const dir = tempDir();
    const secretsDir = path.join(dir, 'secrets');
    writeSecret(secretsDir, 'default', 'h2lat-tls', { 'tls.crt': leaf.cert, 'tls.key': leaf.key });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        {
          name: 'app',
          spec: { hosts: [HOST], tls: { secretRef: { name: 'h2lat-tls' } }, match: { path: '/app/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }], path: '/{rest}' }, http: { methods: ['GET'] } },
        },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir, '--tls-listen', '127.0.0.1:0', '--h2c']);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('over TLS (ALPN h2): the median answer arrives far under a delayed-ACK timer', async () => {
    const session = await h2Connect(gw.tlsPort!, ca, HOST);
    try {
      const times = await concurrentTimes(session);
      assert.ok(median(times) < MEDIAN_BOUND_MS, `median ${median(times).toFixed(1)} ms (max ${Math.max(...times).toFixed(1)} ms) over ${times.length} requests`);
    } finally {
      await closeSession(session);
    }
  });

  test('over h2c on the plain listener: the median answer arrives far under a delayed-ACK timer', async () => {
    const session = await h2cConnect(gw.proxyPort);
    try {
      const times = await concurrentTimes(session);
      assert.ok(median(times) < MEDIAN_BOUND_MS, `median ${median(times).toFixed(1)} ms (max ${Math.max(...times).toFixed(1)} ms) over ${times.length} requests`);
    } finally {
      await closeSession(session);
    }
  });
});
