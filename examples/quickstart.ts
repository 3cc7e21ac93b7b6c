// `make run`: starts three demo echo backends and wsgate standalone with quickstart.yaml,
// then prints how to connect. Ctrl-C stops everything.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoServer } from './echo-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const listen = process.env.WSGATE_LISTEN ?? '127.0.0.1:8080';
const admin = process.env.WSGATE_ADMIN_LISTEN ?? '127.0.0.1:9090';

const backends = await Promise.all(
  [9101, 9102, 9103].map((port, i) => startEchoServer({ name: `echo-${i + 1}`, port })),
);
const wsgate = spawn(
  process.execPath,
  [path.join(root, 'dist/src/cli.js'), 'standalone', '--config', path.join(root, 'examples/quickstart.yaml'), '--listen', listen, '--admin-listen', admin],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
wsgate.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  if (chunk.toString().includes('wsgate listening')) {
    process.stdout.write(`
wsgate is running with examples/quickstart.yaml (edit it: it reloads on save).
  Connect:   node dist/examples/client.js ws://${listen}/gateway/room1
             (each message you type comes back; the first line shows which backend answered)
  GraphQL:   node dist/examples/client.js ws://${listen}/graphql graphql-transport-ws
  Metrics:   curl http://${admin}/metrics
  Routes:    curl http://${admin}/debug/routes
Press Ctrl-C to stop.
`);
  }
});
const stop = async () => {
  wsgate.kill('SIGTERM');
  await Promise.all(backends.map((b) => b.close()));
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
wsgate.on('exit', (code) => {
  void Promise.all(backends.map((b) => b.close())).then(() => process.exit(code ?? 0));
});
