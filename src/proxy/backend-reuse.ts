// When a pooled backend connection may carry another request. Node's http client hands a
// keep-alive socket back to its Agent once both the response has ended and the request has
// finished (responseOnEnd / requestOnFinish in _http_client.js), in whichever order they come.
// That is too trusting at an edge: a backend that answers before it has the whole request
// body may read the rest of that body as its next request, and a request cut short leaves the
// backend waiting for bytes that the next client's request would supply. So:
//   - a response that arrives before the request body was completely written retires the
//     connection: it is destroyed when that response ends and never pooled;
//   - a client that goes away before its request body is complete destroys the backend
//     request (and with it the connection);
//   - every failed attempt destroys its backend request (http-exchange.ts).
// Only a complete exchange, request written in full before the response began, is pooled.

import type http from 'node:http';

/** How the backend connection of one exchange ends up. */
export type ReuseState = 'pending' | 'reusable' | 'retired';

export class BackendReuse {
  private stateValue: ReuseState = 'pending';

  constructor(
    private readonly proxyReq: http.ClientRequest,
    private readonly req: http.IncomingMessage,
  ) {
    proxyReq.once('response', (proxyRes: http.IncomingMessage) => this.onResponse(proxyRes));
    // 'close' before the parser completed the body: the client is gone mid-request.
    req.once('close', () => {
      if (!req.complete) this.retire();
    });
  }

  get state(): ReuseState {
    return this.stateValue;
  }

  private onResponse(proxyRes: http.IncomingMessage): void {
    if (this.proxyReq.writableFinished) {
      this.stateValue = 'reusable';
      return;
    }
    // Early response: the connection ends with this exchange. shouldKeepAlive = false keeps
    // Node's client from handing it to its Agent when the request finishes later.
    this.stateValue = 'retired';
    this.proxyReq.shouldKeepAlive = false;
    proxyRes.once('end', () => this.retire());
  }

  /**
   * Destroys the backend request and its connection. What the client still sends of its body
   * is read and dropped, so its keep-alive connection carries on with the next request.
   */
  retire(): void {
    this.stateValue = 'retired';
    this.req.unpipe(this.proxyReq);
    if (!this.proxyReq.destroyed) this.proxyReq.destroy();
    if (!this.req.complete && !this.req.destroyed) this.req.resume();
  }
}
