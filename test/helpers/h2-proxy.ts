// An in-process wsgate for HTTP/2 tests: a WebSocketProxy with `routes`, behind its own TLS
// listener (the production h2 wiring, startWsgateTlsEdge), and a client session on it.

import type http2 from 'node:http2';
import pino from 'pino';
import type { WebSocketRoute } from '../../src/api/types.js';
import { compile } from '../../src/routing/compile.js';
import { WebSocketProxy } from '../../src/proxy/server.js';
import { connectH2, startWsgateTlsEdge, type H2Edge } from './h2-websocket.js';

export interface H2Proxy {
  proxy: WebSocketProxy;
  edge: H2Edge;
  session: http2.ClientHttp2Session;
  close(): Promise<void>;
}

export async function startH2Proxy(routes: WebSocketRoute[]): Promise<H2Proxy> {
  const proxy = new WebSocketProxy({ logger: pino({ level: 'silent' }) });
  proxy.setTable(compile({ routes }).table);
  const edge = await startWsgateTlsEdge(proxy);
  const session = await connectH2(edge.port, edge.ca);
  return {
    proxy,
    edge,
    session,
    async close() {
      session.destroy();
      await proxy.close();
      await edge.close();
    },
  };
}
