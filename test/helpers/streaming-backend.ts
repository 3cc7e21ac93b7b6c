// A backend that streams without pause: large binary messages and fragmented text messages,
// each with checkable content, so a close injected by the proxy mid-stream can be checked to
// have landed between frames (the client sees only whole, intact messages, then the code).

import http from 'node:http';
import type net from 'node:net';
import { closeWebSocketServer } from '../../examples/echo-server.js';
import { WebSocketServer, type WebSocket } from 'ws';

export interface StreamingBackend {
  port: number;
  close(): Promise<void>;
}

/** Message i: 64 KiB .. 1 MiB of byte (i % 251), or a text message in 4 fragments. */
export function expectedMessage(i: number): { binary: boolean; length: number; byte?: number; text?: string } {
  if (i % 3 === 2) return { binary: false, length: 0, text: `fragmented-${i}-`.repeat(50) };
  return { binary: true, length: 65536 * (1 + (i % 16)), byte: i % 251 };
}

export async function startStreamingBackend(): Promise<StreamingBackend> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws: WebSocket) => {
    let i = 0;
    let stopped = false;
    ws.on('close', () => (stopped = true));
    ws.on('error', () => (stopped = true));
    const pump = () => {
      // Keep about 4 MiB queued: enough that the proxy is always mid-frame, bounded memory.
      // At most 8 messages per turn: a socket destroyed under a write stops buffering, so
      // bufferedAmount alone would let this loop spin without ever yielding.
      for (let n = 0; n < 8 && !stopped && ws.readyState === ws.OPEN && ws.bufferedAmount < 4 * 1024 * 1024; n++) {
        const m = expectedMessage(i++);
        if (m.binary) {
          ws.send(Buffer.alloc(m.length, m.byte!), { binary: true });
        } else {
          const text = m.text!;
          const q = Math.ceil(text.length / 4);
          for (let f = 0; f < 4; f++) ws.send(text.slice(f * q, (f + 1) * q), { binary: false, fin: f === 3 });
        }
      }
      if (!stopped) setTimeout(pump, 5);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => closeWebSocketServer(wss, server),
  };
}
