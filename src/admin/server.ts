// The admin listener: health, readiness, Prometheus metrics and a JSON view of the table.
// Kept apart from the proxy listener so it is never exposed with the traffic port.

import http from 'node:http';
import type net from 'node:net';
import { listen } from '../net/listen.js';
import type { Registry } from 'prom-client';

export interface AdminState {
  /** True once the first full routing table is in place and until shutdown starts. */
  ready(): boolean;
  /** Reason shown by /readyz while not ready. */
  notReadyReason(): string;
  debugRoutes(): unknown;
  /** The scrape, when it is not this registry's alone (worker threads: every registry merged). */
  metrics?(): Promise<{ contentType: string; body: string }>;
}

export class AdminServer {
  readonly server: http.Server;

  constructor(
    private readonly registry: Registry,
    private readonly state: AdminState,
  ) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err) + '\n');
      });
    });
  }

  listen(host: string, port: number): Promise<net.AddressInfo> {
    return listen(this.server, host, port);
  }


  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/healthz':
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz':
        if (this.state.ready()) res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ready\n');
        else res.writeHead(503, { 'Content-Type': 'text/plain' }).end(this.state.notReadyReason() + '\n');
        return;
      case '/metrics': {
        const { contentType, body } = this.state.metrics ? await this.state.metrics() : { contentType: this.registry.contentType, body: await this.registry.metrics() };
        res.writeHead(200, { 'Content-Type': contentType }).end(body);
        return;
      }
      case '/debug/memory': {
        // A full GC first when the process runs with --expose-gc (the bench does), so heapUsed
        // is what is live; otherwise the figures as they are.
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ gc: gc !== undefined, ...process.memoryUsage() }) + '\n');
        return;
      }
      case '/debug/routes':
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(await this.state.debugRoutes(), null, 2) + '\n');
        return;
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  }
}
