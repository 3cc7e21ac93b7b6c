// The open HTTP/2 sessions of a data plane, of every listener: shutdown ends them with GOAWAY
// (after the WebSocket streams on them are closed), close() at once.

import type http2 from 'node:http2';

export class H2Sessions {
  private readonly open = new Set<http2.ServerHttp2Session>();

  get size(): number {
    return this.open.size;
  }

  add(session: http2.ServerHttp2Session): void {
    this.open.add(session);
    session.once('close', () => this.open.delete(session));
    // Without a listener a session error would be thrown; the server's 'sessionError' logs it.
    session.on('error', ignore);
  }

  /**
   * GOAWAY (NO_ERROR) on every session: clients open no new streams, the streams in flight
   * finish. Resolves when every session has closed or after `ms`, when the rest are destroyed.
   */
  async goAway(ms: number): Promise<void> {
    if (this.open.size === 0) return;
    const closed = [...this.open].map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.close(() => resolve()))));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([Promise.all(closed), late]);
    clearTimeout(timer);
    this.destroyAll();
  }

  destroyAll(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
}

function ignore(): void {}
