// The framework backend as a pod (image wsgate-e2e-frameworks:dev, built by e2e/node/image.sh):
// the same real servers the framework tests run in-process (test/helpers/framework-backend.ts:
// Socket.IO at /socket.io/, the SignalR hub at /hub, graphql-ws at /graphql), named after the
// pod, so a client learns from Whoami / whoami which pod it reached. Besides them:
//   GET /readyz      200 (the readiness probe)
//   GET /requests    what this pod received so far (method and URL of each request), read by
//                    tests straight from the pod IP to count what reached it
//   any /cors/...    200 with the pod's name (a plain answer for the CORS filter to decorate)
import type http from 'node:http';
import os from 'node:os';
import { startFrameworkBackend, type FrameworkBackend } from '../../../../test/helpers/framework-backend.js';

const name = process.env.POD_NAME || os.hostname();
const port = Number(process.env.PORT || 8080);
// Set once the server listens; only requests (which arrive after that) read it.
const started: { backend?: FrameworkBackend } = {};

function extra(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return true;
  }
  if (path === '/requests') {
    const requests = (started.backend?.requests ?? []).map((r) => ({ method: r.method, url: r.url }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ backend: name, requests }));
    return true;
  }
  if (path.startsWith('/cors/')) {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name}\n`);
    return true;
  }
  return false;
}

started.backend = await startFrameworkBackend({ name, staticFiles: extra, listen: { host: '0.0.0.0', port } });
console.log(`frameworks backend ${name} listening on :${port}`);

// Pod deletion: stop accepting, close every framework's connections, exit.
process.once('SIGTERM', () => {
  void started.backend!.close().then(() => process.exit(0));
});
