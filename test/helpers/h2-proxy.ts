// An in-process wsgate for HTTP/2 tests: a WebSocketProxy with `routes`, behind its own TLS
// listener (the production h2 wiring, startWsgateTlsEdge), and a client session on it.

import type http2 from 'node:http2';
import pino from 'pino';
import type { WebSocketRoute } from '../../src/api/types.js';
import { compile } from '../../src/routing/compile.js';
import type { SecretResolver } from '../../src/routing/types.js';
import { WebSocketProxy, type ProxyServerOptions } from '../../src/proxy/server.js';
import { connectH2, startWsgateTlsEdge, type H2Edge } from './h2-websocket.js';

export interface H2Proxy {
  proxy: WebSocketProxy;
  edge: H2Edge;
  session: http2.ClientHttp2Session;
  /** Compiles `routes` (with the secret resolver given at start) into the proxy's table. */
  setRoutes(routes: WebSocketRoute[]): void;
  close(): Promise<void>;
}

export async function startH2Proxy(routes: WebSocketRoute[], opts: Partial<ProxyServerOptions> & { resolveSecret?: SecretResolver } = {}): Promise<H2Proxy> {
  const { resolveSecret, ...proxyOpts } = opts;
  const proxy = new WebSocketProxy({ logger: pino({ level: 'silent' }), ...proxyOpts });
  const setRoutes = (rs: WebSocketRoute[]) => proxy.setTable(compile({ routes: rs, ...(resolveSecret ? { resolveSecret } : {}) }).table);
  setRoutes(routes);
  const edge = await startWsgateTlsEdge(proxy);
  const session = await connectH2(edge.port, edge.ca);
  return {
    proxy,
    edge,
    session,
    setRoutes,
    async close() {
      session.destroy();
      await proxy.close();
      await edge.close();
    },
  };
}
