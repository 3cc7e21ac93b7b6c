// A tiny interactive client: `node dist/examples/client.js ws://127.0.0.1:8080/gateway/room1`
// prints what the server sends and sends each line typed on stdin.

import readline from 'node:readline';
import WebSocket from 'ws';

const [url, ...protocols] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: client URL [SUBPROTOCOL...]\n');
  process.exit(2);
}
const ws = new WebSocket(url, protocols);
ws.on('unexpected-response', (_req, res) => {
  process.stderr.write(`refused: HTTP ${res.statusCode} ${res.statusMessage}\n`);
  process.exit(1);
});
ws.on('open', () => {
  process.stdout.write(`connected to ${url}${ws.protocol ? ` (subprotocol ${ws.protocol})` : ''}; type a line to send it\n`);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => ws.send(line));
  rl.on('close', () => ws.close(1000));
});
ws.on('message', (data) => process.stdout.write(`< ${data.toString()}\n`));
ws.on('close', (code, reason) => {
  process.stdout.write(`closed ${code} ${reason.toString()}\n`);
  process.exit(0);
});
ws.on('error', (err) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
