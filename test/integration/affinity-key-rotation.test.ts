// --affinity-key-file rotated under a running `wsgate standalone` (two worker threads, so the
// new key must reach both): a cookie of the old key still sticks and is re-issued under the new
// key during --affinity-key-grace, then is stale; the process is never restarted and never
// logs key material.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getWithAffinity, startAffinityBackend, type AffinityBackend } from '../helpers/affinity-backend.js';
import { eventually } from '../helpers/eventually.js';
import { scrapeMetrics } from '../helpers/metrics-scrape.js';
import { writeRoutes } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

/** GET /app/x with the `sticky` cookie, if given; the `sticky` value set in the answer. */
const get = async (target: WsgateChild, cookie?: string) => {
  const r = await getWithAffinity(target.proxyPort, '/app/x', 'sticky', cookie);
  return { backend: r.backend, sticky: r.setValue };
};

const GRACE = '2s';

/** Requests whose affinity cookie named no usable endpoint (wsgate_affinity_total, result stale). */
function staleCount(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/^wsgate_affinity_total\{[^}]*result="stale"[^}]*\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

/** Replaces the file by rename, as a Secret volume's update swaps its data. */
function replaceFile(file: string, content: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

describe('--affinity-key-file rotated while wsgate runs', () => {
  let backends: AffinityBackend[];
  let gw: WsgateChild;
  let keyFile: string;
  const oldKey = crypto.randomBytes(32).toString('hex');
  const newKey = crypto.randomBytes(32).toString('hex');

  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startAffinityBackend(n)));
    const dir = tempDir();
    const routes = path.join(dir, 'routes.yaml');
    writeRoutes(routes, [
      {
        name: 'app',
        spec: {
          match: { path: '/app/{rest}' },
          backend: { endpoints: backends.map((b) => ({ host: '127.0.0.1', port: b.port })) },
          http: { methods: ['GET'] },
          loadBalancer: { policy: 'RoundRobin' },
          sessionAffinity: { cookie: { name: 'sticky' } },
        },
      },
    ]);
    keyFile = path.join(dir, 'affinity.key');
    fs.writeFileSync(keyFile, `${oldKey}\n`, { mode: 0o600 });
    gw = await startWsgate(['standalone', '--config', routes, '--affinity-key-file', keyFile, '--affinity-key-grace', GRACE, '--workers', '2']);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  test('an old cookie sticks (and is re-signed) within the grace period, then is stale; no restart', async () => {
    const pid = gw.child.pid;
    const first = await get(gw);
    const oldCookie = first.sticky;
    assert.ok(oldCookie, 'the first answer sets the affinity cookie');

    replaceFile(keyFile, `${newKey}\n`);
    await gw.waitForLog(/session-affinity key changed/);
    assert.match(await scrapeMetrics(gw), /^wsgate_affinity_key_changes_total\{source="file"\} 1$/m);

    // RoundRobin alternates: six in a row on one backend is the old cookie honoured, on both workers.
    let resigned: string | undefined;
    for (let i = 0; i < 6; i++) {
      const r = await get(gw, oldCookie);
      assert.equal(r.backend, first.backend, `request ${i} with the old cookie`);
      assert.ok(r.sticky && r.sticky !== oldCookie, 'a cookie of the previous key is answered with one of the new key');
      resigned = r.sticky;
    }
    // The new cookie is current: it sticks and is not re-issued.
    const withNew = await get(gw, resigned);
    assert.equal(withNew.backend, first.backend);
    assert.equal(withNew.sticky, undefined);
    // Fresh cookies are signed with the new key: the same value for the same backend.
    for (let i = 0; i < 4; i++) {
      const r = await get(gw);
      if (r.backend === first.backend) assert.equal(r.sticky, resigned);
      else assert.ok(r.sticky && r.sticky !== oldCookie);
    }
    assert.equal(staleCount(await scrapeMetrics(gw)), 0, 'no cookie was stale within the grace period');

    // After the grace period the old cookie names nothing: stale, and a new cookie is issued.
    await eventually('the old cookie to be stale', async () => (staleCount(await scrapeMetrics(gw)) > 0 ? true : (await get(gw, oldCookie), false)), 100, 100);
    const late = await get(gw, oldCookie);
    assert.ok(late.sticky && late.sticky !== oldCookie);
    assert.equal(late.sticky === resigned, late.backend === first.backend);

    assert.equal(gw.child.pid, pid);
    assert.equal(gw.child.exitCode, null, 'the process was not restarted');
    const log = gw.stderr();
    assert.ok(!log.includes(oldKey) && !log.includes(newKey), 'no key material in the log');
  });
});
