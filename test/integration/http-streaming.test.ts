// Plain HTTP responses and bodies stream through a real wsgate process: Server-Sent Events
// arrive event by event, a long poll outlives its hold, timeouts.idle cuts a silent response,
// timeouts.connect gives 504, 200 MiB each way passes byte-exact with bounded proxy memory,
// trailers reach the client, and a client that goes away aborts the backend request.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBlackhole, type Blackhole } from '../helpers/blackhole.js';
import { eventually } from '../helpers/eventually.js';
import { downloadBlock, downloadSha256, plainRequest, startHttpBackend, TRAILER_CHUNKS, type HttpBackend } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const MIB = 1024 * 1024;

/** Sends a GET and resolves once the response head is in, leaving the body to the caller. */
function openResponse(port: number, reqPath: string, timeoutMs = 10000): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: reqPath, agent: false }, (res) => {
      clearTimeout(timer);
      resolve({ req, res });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no response head for ${reqPath} within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

/** Reads SSE events (blank-line separated) one at a time, each bounded by `timeoutMs`. */
function eventReader(res: http.IncomingMessage, timeoutMs = 5000) {
  let buf = '';
  let ended = false;
  let wake: (() => void) | undefined;
  res.setEncoding('utf8');
  res.on('data', (c: string) => {
    buf += c;
    wake?.();
  });
  res.on('end', () => {
    ended = true;
    wake?.();
  });
  return {
    async next(): Promise<string | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = buf.indexOf('\n\n');
        if (i !== -1) {
          const ev = buf.slice(0, i);
          buf = buf.slice(i + 2);
          return ev;
        }
        if (ended) return undefined;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no complete event within ${timeoutMs} ms; have ${JSON.stringify(buf)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    },
  };
}

/** VmRSS of a process in bytes, from /proc. */
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples a process's RSS while `work` runs; returns the peak growth over the starting RSS. */
async function rssGrowthDuring(pid: number, work: () => Promise<void>): Promise<number> {
  const start = rssBytes(pid);
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, rssBytes(pid)) - start;
}

const haveProc = fs.existsSync('/proc/self/status');
const needProc = !haveProc && process.env.CI !== 'true' ? 'needs /proc (Linux)' : false;
// Node frees socket Buffers only when GC runs, and V8 waits for tens of MiB of external memory
// before it does: a streaming proxy grows by ~50-70 MiB whatever the size (measured), while one
// that holds the body grows by at least its size. Bodies of 200 MiB against a 128 MiB limit keep
// both margins wide.
const BODY_MIB = 200;
const RSS_LIMIT = 128 * MIB;

describe('plain HTTP streaming through wsgate', () => {
  let sb: HttpBackend;
  let qb: HttpBackend;
  let hole: Blackhole;
  let gw: WsgateChild;

  before(async () => {
    [sb, qb] = await Promise.all([startHttpBackend('sb'), startHttpBackend('qb')]);
    hole = await startBlackhole();
    const file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        {
          name: 'stream',
          spec: { match: { path: '/s/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: sb.port }], path: '/{rest}' }, http: { methods: ['GET', 'POST'] }, timeouts: { idle: '60s' } },
        },
        {
          name: 'quiet',
          spec: { match: { path: '/quiet/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: qb.port }], path: '/{rest}' }, http: { methods: ['GET'] }, timeouts: { idle: '1s' } },
        },
        { name: 'hole', spec: { match: { path: '/hole' }, backend: { endpoints: [{ host: '127.0.0.1', port: hole.port }] }, http: { methods: ['GET'] }, timeouts: { connect: '500ms' } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([sb?.close(), qb?.close(), hole?.close()]);
  });

  test('Server-Sent Events arrive one by one, each before the backend sends the next', async () => {
    const { res } = await openResponse(gw.proxyPort, '/s/sse?n=3');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    const events = eventReader(res);
    const rec = await sb.waitForRequest((r) => r.url === '/sse?n=3');
    for (let i = 1; i <= 3; i++) {
      const ev = await events.next();
      assert.match(ev ?? '', new RegExp(`^id: ${i}\nevent: tick\ndata: sb ${i}$`));
      // The backend is still waiting for its release: the event was not held back to the end.
      if (i < 3) assert.equal(rec.finished, false, `event ${i} arrived before the backend finished`);
      if (i < 3) sb.releaseEvent();
    }
    assert.equal(await events.next(), undefined, 'the stream ends after the last event');
    assert.equal(await rec.outcome, 'finished');
  });

  test('a long poll held 30 s is not cut with timeouts.idle 60s', async () => {
    // Deliberately long: the backend holds the answer for 30 s without sending a byte.
    const r = await plainRequest(gw.proxyPort, '/s/hold?ms=30000', { timeoutMs: 45000 });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()), { backend: 'sb', heldMs: 30000 });
  });

  test('timeouts.idle 1s: a response with no headers yet gets 504, and the backend request is aborted', async () => {
    const r = await plainRequest(gw.proxyPort, '/quiet/silent?no-head');
    assert.equal(r.status, 504);
    const rec = await qb.waitForRequest((x) => x.url === '/silent?no-head');
    await eventually('backend sees its request aborted', () => rec.aborted);
  });

  test('timeouts.idle 1s: a response that stalls after its headers is cut (connection ended, never a complete response)', async () => {
    // Whether or not the 200 head got through first, the client must see the connection end
    // without a complete response (a cleanly ended body would pass a cut stream off as whole).
    const outcome = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('stalled response not cut within 10 s')), 10000);
      const done = (o: string) => {
        clearTimeout(timer);
        resolve(o);
      };
      const req = http.request({ host: '127.0.0.1', port: gw.proxyPort, path: '/quiet/silent?headers=1', agent: false }, (res) => {
        res.on('error', () => undefined);
        res.resume();
        res.once('close', () => done(res.complete ? `complete ${res.statusCode}` : `cut after head ${res.statusCode}`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => done(`connection ended before the head (${err.code})`));
      req.end();
    });
    assert.match(outcome, /^(cut after head 200|connection ended before the head)/);
    const rec = await qb.waitForRequest((x) => x.url === '/silent?headers=1');
    await eventually('backend sees its request aborted', () => rec.aborted);
  });

  test('a response head is forwarded as soon as the backend sends it, before any body byte', async () => {
    // An EventSource's open event, or a client reading the status of a stream, must not wait
    // for the first event.
    const { req, res } = await openResponse(gw.proxyPort, '/s/silent?headers=1', 5000);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain');
    res.on('error', () => undefined);
    req.destroy();
    const rec = await sb.waitForRequest((x) => x.url === '/silent?headers=1');
    await eventually('backend sees its request aborted', () => rec.aborted);
  });

  test('timeouts.connect to an endpoint that never accepts gives 504', async () => {
    const r = await plainRequest(gw.proxyPort, '/hole');
    assert.equal(r.status, 504);
  });

  test(`a ${BODY_MIB} MiB upload passes byte-exact with bounded wsgate memory`, { skip: needProc }, async (t) => {
    const size = BODY_MIB * MIB;
    const sent = createHash('sha256');
    let answer: { bytes: number; sha256: string } | undefined;
    const growth = await rssGrowthDuring(gw.child.pid!, async () => {
      answer = await new Promise((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: gw.proxyPort, path: '/s/upload', method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': size } },
          (res) => {
            const got: Buffer[] = [];
            res.on('data', (c: Buffer) => got.push(c));
            res.on('end', () => resolve(JSON.parse(Buffer.concat(got).toString()) as { bytes: number; sha256: string }));
          },
        );
        req.on('error', reject);
        // Written with backpressure so the client itself never queues the whole body.
        const pump = async () => {
          for (let i = 0; i < size / downloadBlock(0).length; i++) {
            const b = downloadBlock(i);
            sent.update(b);
            if (!req.write(b)) await new Promise<void>((r) => req.once('drain', () => r()));
          }
          req.end();
        };
        pump().catch(reject);
      });
    });
    t.diagnostic(`upload ${BODY_MIB} MiB: wsgate RSS grew by ${(growth / MIB).toFixed(1)} MiB`);
    assert.deepEqual(answer, { backend: 'sb', bytes: size, sha256: sent.digest('hex') });
    assert.ok(growth < RSS_LIMIT, `RSS grew by ${(growth / MIB).toFixed(1)} MiB`);
  });

  test(`a ${BODY_MIB} MiB download (Content-Length) and an 8 MiB chunked one pass byte-exact with bounded wsgate memory`, { skip: needProc }, async (t) => {
    const expected = downloadSha256(BODY_MIB);
    const read = async (reqPath: string) => {
      const { res } = await openResponse(gw.proxyPort, reqPath);
      const h = createHash('sha256');
      let bytes = 0;
      for await (const c of res as AsyncIterable<Buffer>) {
        bytes += c.length;
        h.update(c);
      }
      assert.equal(res.complete, true);
      return { res, bytes, sha256: h.digest('hex') };
    };
    let big: Awaited<ReturnType<typeof read>> | undefined;
    const growth = await rssGrowthDuring(gw.child.pid!, async () => {
      big = await read(`/s/download?mib=${BODY_MIB}`);
    });
    t.diagnostic(`download ${BODY_MIB} MiB: wsgate RSS grew by ${(growth / MIB).toFixed(1)} MiB`);
    assert.equal(big!.res.headers['content-length'], String(BODY_MIB * MIB));
    assert.equal(big!.bytes, BODY_MIB * MIB);
    assert.equal(big!.sha256, expected);
    assert.ok(growth < RSS_LIMIT, `RSS grew by ${(growth / MIB).toFixed(1)} MiB`);

    const chunked = await read('/s/download?mib=8&chunked=1');
    assert.equal(chunked.res.headers['content-length'], undefined);
    assert.equal(chunked.res.headers['transfer-encoding'], 'chunked');
    assert.equal(chunked.bytes, 8 * MIB);
    assert.equal(chunked.sha256, downloadSha256(8));
  });

  test('trailers reach the client', async () => {
    const r = await plainRequest(gw.proxyPort, '/s/trailers');
    assert.equal(r.status, 200);
    const body = TRAILER_CHUNKS.join('');
    assert.equal(r.body.toString(), body);
    assert.equal(r.trailers['x-checksum'], createHash('sha256').update(body).digest('hex'));
  });

  test('a client that aborts mid-response makes the backend see its request aborted', async () => {
    const { req, res } = await openResponse(gw.proxyPort, '/s/sse?n=2&abort=1');
    const events = eventReader(res);
    assert.match((await events.next()) ?? '', /data: sb 1$/);
    const rec = await sb.waitForRequest((r) => r.url === '/sse?n=2&abort=1');
    assert.equal(rec.aborted, false);
    res.on('error', () => undefined);
    req.destroy();
    await eventually('backend sees its request aborted', () => rec.aborted);
    assert.equal(rec.finished, false);
  });
});
