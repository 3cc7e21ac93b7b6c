// A real browser uses RFC 8441: headless Firefox ESR (Debian's, driven over WebDriver BiDi)
// loads a page from an HTTP/2-only TLS edge whose extended CONNECT streams go to wsgate's
// onWebSocketStream, opens `wss://` on the same origin and echoes a message through wsgate to a
// real `ws` backend. wsgate's metrics and access log say the WebSocket came over h2 (and the
// edge offers no HTTP/1.1 at all; it also records each extended CONNECT stream).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import pino from 'pino';
import { startEchoServer } from '../../examples/echo-server.js';
import { metricsObserver } from '../../src/metrics/proxy-observer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { WebSocketProxy } from '../../src/proxy/server.js';
import { compile } from '../../src/routing/compile.js';
import { MAIN_LISTENER } from '../../src/routing/gateway-types.js';
import { route } from '../fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { FIREFOX, startFirefox } from '../helpers/firefox-bidi.js';
import { startH2Edge } from '../helpers/h2-websocket.js';

const haveFirefox = fs.existsSync(FIREFOX);
// Missing Firefox skips locally; in CI the test fails instead.
const skip = !haveFirefox && process.env.CI !== 'true' ? `${FIREFOX} is missing (bash test/browser/setup.sh installs it)` : false;

const PAGE = `<!doctype html><title>wsgate h2</title><script>
window.result = new Promise((resolve) => {
  const ws = new WebSocket('wss://' + location.host + '/chat');
  ws.onopen = () => ws.send('from firefox');
  ws.onmessage = (e) => { if (e.data === 'from firefox') { ws.close(1000); resolve(e.data); } };
  ws.onerror = () => resolve('websocket error');
});
</script>`;

describe('Firefox ESR and RFC 8441', { skip }, () => {
  test('Firefox opens its wss:// WebSocket as an extended CONNECT on the page\'s HTTP/2 connection, and messages cross wsgate', async () => {
    if (!haveFirefox) throw new Error(`CI=true and ${FIREFOX} is missing: run bash test/browser/setup.sh`);
    const echo = await startEchoServer({ name: 'ff' });
    const metrics = new Metrics({ defaultMetrics: false });
    const accessLog: Array<Record<string, unknown>> = [];
    const log = pino({}, { write: (s: string) => void accessLog.push(JSON.parse(s) as Record<string, unknown>) });
    const proxy = new WebSocketProxy({ logger: pino({ level: 'silent' }), observer: metricsObserver(metrics, log, { endpointMetrics: false }) });
    proxy.setTable(compile({ routes: [route('chat', { match: { path: '/chat' }, backend: { endpoints: [{ host: '127.0.0.1', port: echo.port }] } })] }).table);
    const extendedConnects: string[] = [];
    const edge = await startH2Edge(
      (stream, headers) => {
        extendedConnects.push(String(headers[':path']));
        proxy.onWebSocketStream(stream, headers, MAIN_LISTENER);
      },
      (stream) => {
        stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8' });
        stream.end(PAGE);
      },
    );
    const firefox = await startFirefox();
    try {
      await firefox.navigate(`https://127.0.0.1:${edge.port}/`);
      assert.equal(await firefox.evaluate('window.result'), 'from firefox');
      assert.deepEqual(extendedConnects, ['/chat'], 'one extended CONNECT stream, for the page\'s WebSocket');
      assert.equal(echo.upgrades.length, 1);
      assert.equal(echo.upgrades[0]!.headers.host, `127.0.0.1:${edge.port}`);
      assert.match(await metrics.registry.metrics(), /^wsgate_upgrades_total\{namespace="default",route="chat",result="ok",protocol="h2"\} 1$/m);
      const line = await eventually('the access-log line of Firefox\'s WebSocket', () => accessLog.find((l) => l.msg === 'connection closed'));
      assert.equal(line.protocol, 'h2');
      assert.equal(line.closeCode, 1000);
    } finally {
      await firefox.close();
      await proxy.close();
      await edge.close();
      await echo.close();
    }
  });
});
