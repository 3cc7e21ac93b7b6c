// The browser test's web app, served by each framework backend under /app/: one HTML page
// that talks Socket.IO (default transports: long polling, then the upgrade to WebSocket) and
// SignalR (negotiate, then WebSockets) to its own origin, and leaves what it saw in
// `window.results` for the test to read.

import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { repoRoot } from '../helpers/wsgate-child.js';

/** What the page stores in `window.results`. */
export interface PageResults {
  done: boolean;
  errors: string[];
  /** URLs of every WebSocket the page opened (recorded by a wrapper installed before the libraries load). */
  websockets: string[];
  socketio: {
    whoami: string[];
    /** The engine's transport at each whoami answer. */
    transports: string[];
    upgraded: boolean;
    /** The first transport the engine used (polling, unless the defaults changed). */
    firstTransport: string | null;
  };
  signalr: { whoami: string[]; echo: string | null; connected: boolean };
}

// The client bundles, served under /app/. Socket.IO's is the very file its server serves at
// /socket.io/socket.io.min.js, but a route `match: { path: /socket.io/ }` is literal and covers
// only /socket.io/ (the engine.io endpoint), so the page takes it from /app/ like the SignalR one.
const bundles: Record<string, string> = {
  '/app/socket.io.js': path.join(repoRoot, 'node_modules/socket.io/client-dist/socket.io.min.js'),
  '/app/signalr.js': path.join(repoRoot, 'node_modules/@microsoft/signalr/dist/browser/signalr.min.js'),
};

// Plain ES2020 run by Chromium, not compiled by tsc. Whoami is asked several times with
// deliberate gaps so that the answers span the polling phase, the upgrade and the settled
// WebSocket: every one must come from the backend that owns the session.
const script = String.raw`
const results = (window.results = {
  done: false,
  errors: [],
  websockets: window.__websockets,
  socketio: { whoami: [], transports: [], upgraded: false, firstTransport: null },
  signalr: { whoami: [], echo: null, connected: false },
});
const show = () => (document.getElementById('out').textContent = JSON.stringify(results, null, 2));
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const within = (p, ms, what) =>
  Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(what + ' timed out')), ms))]);

async function socketIo() {
  // No options beyond reconnection: the transports stay the defaults (polling, then websocket).
  const socket = io({ reconnection: false });
  window.__socket = socket;
  const upgraded = new Promise((resolve) =>
    socket.io.on('open', () => {
      const engine = socket.io.engine;
      results.socketio.firstTransport = engine.transport.name;
      if (engine.transport.name === 'websocket') resolve();
      engine.on('upgrade', () => resolve());
    }),
  ).then(() => (results.socketio.upgraded = true));
  await within(
    new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }),
    10000,
    'socket.io connect',
  );
  const ask = async () => {
    results.socketio.whoami.push(await socket.timeout(5000).emitWithAck('whoami'));
    results.socketio.transports.push(socket.io.engine.transport.name);
    show();
  };
  await ask();
  await within(upgraded, 10000, 'socket.io upgrade');
  for (let i = 0; i < 4; i++) {
    await pause(100);
    await ask();
  }
}

async function signalR_() {
  const conn = new signalR.HubConnectionBuilder().withUrl('/hub').configureLogging(signalR.LogLevel.Warning).build();
  window.__hub = conn;
  await within(conn.start(), 10000, 'signalr start');
  results.signalr.connected = conn.state === signalR.HubConnectionState.Connected;
  for (let i = 0; i < 5; i++) {
    if (i > 0) await pause(100);
    results.signalr.whoami.push(await within(conn.invoke('Whoami'), 5000, 'signalr Whoami'));
    show();
  }
  results.signalr.echo = await within(conn.invoke('Echo', 'hello'), 5000, 'signalr Echo');
}

(async () => {
  // One after the other: the first Socket.IO request gets the affinity cookie, and SignalR
  // must then follow it to the same backend. Connections stay open; the test closes the context.
  for (const [name, run] of [['socket.io', socketIo], ['signalr', signalR_]]) {
    try {
      await run();
    } catch (err) {
      results.errors.push(name + ': ' + (err && err.message ? err.message : String(err)));
    }
  }
  results.done = true;
  show();
})();
`;

// Installed before the libraries load: engine.io-client captures window.WebSocket at load time.
const recorder = String.raw`
window.__websockets = [];
window.WebSocket = class extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    window.__websockets.push(String(url));
  }
};
`;

const html = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>wsgate browser test</title>
<link rel="icon" href="data:,">
<script>${recorder}</script>
<script src="/app/socket.io.js"></script>
<script src="/app/signalr.js"></script>
</head>
<body>
<pre id="out">loading</pre>
<script>${script}</script>
</body>
</html>
`;

/** The `staticFiles` handler for startFrameworkBackend: true when it answered the request. */
export function servePage(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const pathname = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (pathname === '/app/' || pathname === '/app') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
    return true;
  }
  const bundle = bundles[pathname];
  if (bundle !== undefined) {
    // Read per request and fail loudly: a missing bundle must not look like a network problem.
    if (!fs.existsSync(bundle)) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`missing ${bundle}`);
      return true;
    }
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
    res.end(fs.readFileSync(bundle));
    return true;
  }
  return false;
}

/** Throws when a client bundle the page needs is not installed. */
export function assertPageAssets(): void {
  for (const file of Object.values(bundles)) {
    if (!fs.existsSync(file)) throw new Error(`the page needs ${file} (npm ci installs it)`);
  }
}
