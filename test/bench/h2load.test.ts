// The h2load side of the bench's HTTP/2 scenario (bench/lib/h2load.ts) on real captured output,
// the h2load command line, and the nginx config's h2 switch by version (bench/lib/nginx-http2.ts).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkProtocol } from '../../bench/h2.js';
import { durationMs, h2loadArgs, parseH2load } from '../../bench/lib/h2load.js';
import { nginxHttp2Config } from '../../bench/lib/nginx-http2.js';
import { repoRoot } from '../helpers/wsgate-child.js';

/** Real captured h2load output (test/bench/fixtures/README.md says how each was made). */
const fixture = (name: string) => fs.readFileSync(path.join(repoRoot, 'test/bench/fixtures', name), 'utf8');
const H2LOAD_WSGATE_H2 = fixture('h2load-wsgate-h2.txt');
const H2LOAD_WSGATE_H1 = fixture('h2load-wsgate-h1.txt');
const H2LOAD_NGINX_H2_WITH_FAILURES = fixture('h2load-nginx-h2-failures.txt');

test('parseH2load: the rate over the main duration, the counts, the status classes and the time per request of a real h2 run', () => {
  const s = parseH2load(H2LOAD_WSGATE_H2);
  assert.equal(s.applicationProtocol, 'h2');
  assert.equal(s.requestsPerSecond, 408);
  assert.deepEqual([s.done, s.succeeded, s.failed, s.errored, s.timeout], [816, 816, 0, 0, 0]);
  assert.deepEqual([s.status2xx, s.status3xx, s.status4xx, s.status5xx], [822, 0, 0, 0]);
  assert.deepEqual(s.requestMs, { min: 31.01, max: 632.39, mean: 239.97, sd: 156.8 });
});

test('parseH2load: HTTP/1.1 (--h1) and a run with failed requests and a time in microseconds', () => {
  const h1 = parseH2load(H2LOAD_WSGATE_H1);
  assert.equal(h1.applicationProtocol, 'http/1.1');
  assert.equal(h1.requestsPerSecond, 805.5);
  assert.equal(h1.status2xx, 1611);
  const nginx = parseH2load(H2LOAD_NGINX_H2_WITH_FAILURES);
  assert.equal(nginx.requestsPerSecond, 2902);
  assert.deepEqual([nginx.done, nginx.succeeded, nginx.failed, nginx.errored], [5810, 5804, 6, 6]);
  assert.equal(nginx.requestMs.min, 0.701);
  assert.equal(nginx.requestMs.max, 573.18);
});

test('parseH2load: output without a summary (h2load could not connect) is an error, not zeros', () => {
  assert.throws(() => parseH2load('starting benchmark...\nNo protocol negotiated. Fallback behaviour may be activated\n'), /no summary/);
});

test('durationMs: h2load\'s us, ms and s units; anything else is an error', () => {
  assert.equal(durationMs('701us'), 0.701);
  assert.equal(durationMs('35.13ms'), 35.13);
  assert.equal(durationMs('1.5s'), 1500);
  assert.throws(() => durationMs('3min'), /not a duration/);
});

test('checkProtocol: an h2 row must have been served over h2, an HTTP/1.1 row over http/1.1', () => {
  checkProtocol(parseH2load(H2LOAD_WSGATE_H2), 'h2', 'wsgate-tls');
  checkProtocol(parseH2load(H2LOAD_WSGATE_H1), 'h1', 'wsgate-tls');
  assert.throws(() => checkProtocol(parseH2load(H2LOAD_WSGATE_H1), 'h2', 'nginx-tls'), /nginx-tls: h2load asked for h2 and got http\/1\.1/);
});

test('h2loadArgs: a timed run on one thread, h2 with several streams per connection, --h1 with one; a fixed count with -n', () => {
  assert.deepEqual(
    h2loadArgs({ url: 'https://127.0.0.1:1/ws/bench', protocol: 'h2', connections: 10, streamsPerConnection: 10, length: { warmupMs: 1000, durationMs: 3000 } }),
    ['-t', '1', '-c', '10', '-m', '10', '-D', '3000ms', '--warm-up-time', '1000ms', 'https://127.0.0.1:1/ws/bench'],
  );
  assert.deepEqual(
    h2loadArgs({ url: 'https://x/', protocol: 'h1', connections: 100, streamsPerConnection: 1, length: { requests: 300 } }),
    ['-t', '1', '-c', '100', '-m', '1', '-n', '300', '--h1', 'https://x/'],
  );
  assert.throws(() => h2loadArgs({ url: 'https://x/', protocol: 'h1', connections: 1, streamsPerConnection: 4, length: { requests: 1 } }), /no pipelining/);
});

test('nginxHttp2Config: the listen parameter before nginx 1.25.1 (Debian 12 has 1.22.1), `http2 on;` from it', () => {
  assert.deepEqual(nginxHttp2Config('1.22.1'), { listenSuffix: ' http2', directive: undefined });
  assert.deepEqual(nginxHttp2Config('1.25.0'), { listenSuffix: ' http2', directive: undefined });
  assert.deepEqual(nginxHttp2Config('1.25.1'), { listenSuffix: '', directive: 'http2 on;' });
  assert.deepEqual(nginxHttp2Config('1.27.3'), { listenSuffix: '', directive: 'http2 on;' });
  assert.deepEqual(nginxHttp2Config('unknown'), { listenSuffix: ' http2', directive: undefined });
});
