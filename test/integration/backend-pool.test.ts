// The keep-alive pool toward an HTTP/1.1 backend through a real `wsgate standalone` (issue 25):
// a burst of requests in flight at once leaves its backend connections idle in the pool, all of
// them, so that the next burst of the same size reuses them instead of closing the ones above a
// smaller idle bound and opening them again (a connect, a TCP handshake and Node's socket setup
// per request above it: CPU the proxy spent on every burst).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { plainRequest, startHttpBackend, type HttpBackend } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

/** Requests in flight at once: more than the 32 idle connections the pool used to keep. */
const BURST = 48;
/** How long the backend holds each answer: every request of a burst is in flight at once. */
const HOLD_MS = 1000;

describe('the keep-alive pool to a plain HTTP/1.1 backend', () => {
  let backend: HttpBackend;
  let gw: WsgateChild;

  before(async () => {
    backend = await startHttpBackend('pool');
    const file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(file, routesYaml([{ name: 'app', spec: { match: { path: '/app/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }], path: '/{rest}' }, http: { methods: ['GET'] } } }]));
    gw = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  async function burst(): Promise<void> {
    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => plainRequest(gw.proxyPort, `/app/hold?ms=${HOLD_MS}&i=${i}`)));
    for (const a of answers) assert.equal(a.status, 200);
  }

  test(`a second burst of ${BURST} concurrent requests reuses every backend connection of the first`, async () => {
    await burst();
    assert.equal(backend.connections, BURST, 'the first burst had every request in flight at once');
    await burst();
    assert.equal(backend.connections, BURST, 'no connection of the first burst was closed and opened again');
  });
});
