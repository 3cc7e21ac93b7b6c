// A TCP relay on 127.0.0.1:0 in front of the API server, for cutting wsgate's link to the
// control plane without touching the control plane: TLS passes through untouched (the serving
// certificate has IP:127.0.0.1, so only the port in the kubeconfig changes). sever() resets
// every relayed connection and refuses (resets) new ones until restore().

import net from 'node:net';

/**
 * RST when possible. Node 24 (libuv 1.52): resetAndDestroy() on a socket whose writable side
 * was already shut down fails inside libuv, yet the handle is marked closing and never closed:
 * its fd leaks and the process spins at 100% CPU when it exits. Such a socket gets destroy().
 */
function hardClose(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}

export class TcpRelay {
  private readonly server: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private severed = false;
  port = 0;
  /** Connections relayed, connections reset by sever(), connections refused while severed. */
  readonly stats = { relayed: 0, reset: 0, refused: 0 };

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.onConnection(client));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  get isSevered(): boolean {
    return this.severed;
  }

  /** Cuts the link: every open connection reset, new ones refused. */
  sever(): void {
    this.severed = true;
    for (const [client, upstream] of this.pairs) {
      hardClose(client);
      upstream.destroy();
      this.stats.reset++;
    }
    this.pairs.clear();
  }

  restore(): void {
    this.severed = false;
  }

  async close(): Promise<void> {
    this.sever();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: net.Socket): void {
    client.on('error', () => {});
    if (this.severed) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.relayed++;
    const upstream = net.connect(this.target);
    upstream.on('error', () => {});
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', end);
    upstream.once('close', end);
    client.pipe(upstream).pipe(client);
  }
}
