// The client end of an HTTP/1.1 upgrade: the raw socket Node hands over with 'upgrade'. Answers
// are written as HTTP/1.1 bytes; after the 101 the same socket carries the tunnel.

import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { UpgradeResponder } from '../pipeline/responder.js';
import { releaseOnClose } from './release-on-close.js';
import { respondAndClose } from './respond.js';
import { ResponseRelay } from './response-relay.js';

export class SocketResponder implements UpgradeResponder {
  readonly protocol = 'http/1.1';

  constructor(
    readonly client: Duplex,
    readonly head: Buffer,
  ) {}

  get gone(): boolean {
    return this.client.destroyed;
  }

  refuse(status: number, message: string, headers?: Readonly<Record<string, string>>): void {
    respondAndClose(this.client, status, message, headers);
  }

  close(): void {
    this.client.destroy();
  }

  onClose(fn: () => void): void {
    releaseOnClose(this.client, fn);
  }

  interim(head: Buffer): void {
    this.client.write(head);
  }

  accept(head: Buffer | string): void {
    this.client.write(typeof head === 'string' ? Buffer.from(head, 'latin1') : head);
  }

  relayRejection(backend: net.Socket, buf: Buffer, headEnd: number, status: number): void {
    this.client.write(buf.subarray(0, headEnd));
    new ResponseRelay(this.client, backend, buf, headEnd, status);
  }
}
