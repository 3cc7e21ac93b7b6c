// The backend exchange of a plain (non-upgrade) request: http-proxy-3's web() path over a
// pooled keep-alive agent per endpoint, streaming both bodies (Server-Sent Events and long
// polls flow as the backend writes them). A refused connection is retried on another endpoint
// only when that cannot repeat an effect: an idempotent method whose body has not started.
// The body is framed by wsgate (framing-pass.ts) and a backend connection is pooled again only
// after a complete exchange (backend-reuse.ts). A backend that speaks h2c (an HTTPRoute
// backendRef's Service port with appProtocol kubernetes.io/h2c) gets the request on a stream
// of its HTTP/2 session instead (h2c-attempt.ts), with the same retries, timeouts and aborts.
// An HTTPRoute rule's `retry` adds tries (exchange-retry.ts): on its status codes (the response
// head is held, its body drained and dropped, never sent), on connection errors and on the
// backendRequest timeout, after its backoff; only for a body that can be sent again
// (replay-body.ts). h2c backends stream the response as it comes: the policy does not apply to
// them (a refused connect is retried as without one).

import type http from 'node:http';
import { Readable } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
import type { RequestContext } from '../pipeline/context.js';
import type { Endpoint } from '../routing/types.js';
import type { EndpointLoad } from '../balancer/load.js';
import type { BackendAgents } from './agents.js';
import { BackendReuse } from './backend-reuse.js';
import { installFraming } from './framing-pass.js';
import { relayInterim } from './interim-relay.js';
import { dropConnectionHeaders } from './h2-request-head.js';
import { abortResponse, responseComplete } from './h2-response.js';
import { cancellable, H2cUnansweredError, sendOverH2c, type BackendHead } from './h2c-attempt.js';
import type { BodyFraming } from './request-framing.js';
import type { RetryPolicy } from '../routing/gateway-types.js';
import type { ExchangeFailure, RetryReason } from './exchange-outcome.js';
import { retriedFailure, retryStatus } from './exchange-retry.js';
import { holdBody, needsHolding, replayable } from './replay-body.js';

export type { ExchangeFailure, RetryReason };

/** HTTPRoute `timeouts`: absent fields mean no such limit. */
export interface ExchangeTimeouts {
  /** `timeouts.request`: the whole request, from its arrival (ctx.started) to the end of the response. */
  readonly requestMs?: number;
  /** `timeouts.backendRequest`: one attempt, from sending it to the backend to the end of its response. */
  readonly backendRequestMs?: number;
}

export interface ExchangeHooks {
  /** Endpoint for the next attempt (the chooser with the endpoints tried so far), or none. */
  choose(tried: ReadonlySet<string>): Endpoint | undefined;
  /** The backend answered; runs before the response head is written (Set-Cookie goes here). */
  response(endpoint: Endpoint, head: BackendHead): void;
  /** An attempt failed; `retrying` when another endpoint will be tried. */
  failed(endpoint: Endpoint, failure: ExchangeFailure, err: Error, retrying: boolean): void;
  /** The route's retry policy tries again after this try (`status`: the code it answered, dropped). */
  retried(endpoint: Endpoint, reason: RetryReason, status?: number): void;
}

/** What http-proxy-3 runs a web() call with; read and changed by the proxyReq event's listener. */
interface WebOptions {
  selfHandleResponse?: boolean;
}

/** A dropped response's body is read to its end (keeping the connection) up to this size; a larger one closes it. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

class IdleTimeoutError extends Error {
  readonly code = 'EIDLETIMEOUT';
}
class RequestTimeoutError extends Error {
  readonly code = 'EREQUESTTIMEOUT';
}
class BackendTimeoutError extends Error {
  readonly code = 'EBACKENDTIMEOUT';
}

/** What an attempt's request to the backend is to the timeouts and aborts: an http.ClientRequest or an h2c stream. */
interface BackendRequest {
  readonly destroyed: boolean;
  destroy(err?: Error): unknown;
  setTimeout(ms: number, onTimeout: () => void): unknown;
}

/**
 * The code that classifies a failed attempt. An h2c backend's session that ended (or a stream
 * it refused) before any answer counts as a refused connect, so an idempotent bodyless request
 * goes to another endpoint (RFC 9110 9.2.2), unless its cause says more (a connect refused or
 * timed out).
 */
function failureCode(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (!(err instanceof H2cUnansweredError)) return code;
  const cause = ((err.cause as NodeJS.ErrnoException | undefined)?.code ?? '') as string;
  return CONNECT_ERRORS.has(cause) || cause === 'ECONNECT_TIMEOUT' ? cause : 'ECONNREFUSED';
}

/** Which pending exchange a proxyReq/proxyRes event of the shared http-proxy-3 server belongs to. */
export class HttpExchanges {
  private readonly pending = new WeakMap<http.IncomingMessage, PlainExchange>();

  constructor(
    private readonly proxy: ProxyServer,
    private readonly agents: BackendAgents,
    private readonly load: EndpointLoad,
  ) {
    installFraming(proxy, (req) => this.pending.get(req)?.framing);
    proxy.on('proxyReq', (proxyReq: http.ClientRequest, req: http.IncomingMessage, _res: http.ServerResponse, options: WebOptions) =>
      this.pending.get(req)?.onProxyReq(proxyReq, options),
    );
    proxy.on('proxyRes', (proxyRes: http.IncomingMessage, req: http.IncomingMessage, res: http.ServerResponse) =>
      this.pending.get(req)?.onProxyRes(proxyRes, res),
    );
  }

  /**
   * Starts the exchange of a request whose body is delimited by `framing` (request-framing.ts);
   * its outcome reaches the client through `res` and the caller through `hooks`.
   */
  run(ctx: RequestContext, framing: BodyFraming, res: http.ServerResponse, hooks: ExchangeHooks, maxAttempts: number, timeouts: ExchangeTimeouts = {}, retry?: RetryPolicy): void {
    const exchange = new PlainExchange(this.proxy, this.agents, this.load, ctx, framing, res, hooks, maxAttempts, timeouts, retry);
    this.pending.set(ctx.req, exchange);
    if (!exchange.retry || !needsHolding(framing)) return exchange.attempt();
    // A body a retry would send again is read whole first; a client gone meanwhile gets nothing sent.
    void holdBody(ctx.req, framing.length).then((body) => {
      if (!body || res.destroyed) return;
      exchange.body = body;
      exchange.attempt();
    });
  }
}

class PlainExchange {
  private readonly tried = new Set<string>();
  private endpoint: Endpoint | undefined;
  /** A refused connection may be tried again (the request is sent again whole). */
  private readonly retryable: boolean;
  /** Tries at most: 1 + the policy's attempts, else the proxy's maxAttempts (refusals). */
  private readonly maxTries: number;
  /** Tries started. */
  private tries = 0;
  /** Changes with each try and when a try's response is dropped: a later event of that try is no failure to act on. */
  private tryToken = 0;
  /** The whole request body, held for a policy's retries (replay-body.ts). */
  body: Buffer | undefined;
  /** The retry policy, when it can act: the body can be sent again. */
  readonly retry: RetryPolicy | undefined;
  /** The current try's web() options: a held response is taken from http-proxy-3 through them. */
  private webOptions: WebOptions | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private answered = false;
  private lastFailure: ExchangeFailure | undefined;
  /** The endpoint this request counts on for least connections, until its response closes. */
  private counted: Endpoint | undefined;
  /** The current attempt's request to the backend (the timeouts abort it). */
  private proxyReq: BackendRequest | undefined;
  /** Whether the current attempt's backend connection may be pooled again. */
  private reuse: BackendReuse | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;
  private requestTimedOut = false;

  constructor(
    private readonly proxy: ProxyServer,
    private readonly agents: BackendAgents,
    private readonly load: EndpointLoad,
    private readonly ctx: RequestContext,
    readonly framing: BodyFraming,
    private readonly res: http.ServerResponse,
    private readonly hooks: ExchangeHooks,
    private readonly maxAttempts: number,
    private readonly timeouts: ExchangeTimeouts,
    retry: RetryPolicy | undefined,
  ) {
    const req = ctx.req;
    const bodyless = framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0);
    // An h2c backend streams its response to the client as it comes (h2c-attempt.ts) and reads
    // the body from the request itself: the policy does not apply to it.
    const h2c = (ctx.gatewayBackend?.target ?? ctx.route!.backend).protocol === 'h2c';
    this.retry = retry && !h2c && replayable(framing) ? retry : undefined;
    // With a policy the body is held, so any method's request can go again as it was.
    this.retryable = this.retry !== undefined || (IDEMPOTENT.has(req.method ?? '') && bodyless);
    this.maxTries = this.retry ? 1 + this.retry.attempts : maxAttempts;
    // wsgate answers the client's Expect: 100-continue itself (Node does, before the request
    // event); the backend gets the body without waiting for its own 100.
    delete req.headers.expect;
    // An in-flight request (an event stream, a long poll) is load on its endpoint like an open
    // WebSocket: least connections spreads them, across workers too (shared counts).
    res.once('close', () => {
      // The client left (an HTTP/2 stream it reset among them): the backend request goes too.
      if (!responseComplete(res)) this.proxyReq?.destroy();
      this.count(undefined);
      clearTimeout(this.requestTimer);
      clearTimeout(this.attemptTimer);
      clearTimeout(this.backoffTimer);
    });
    if (timeouts.requestMs !== undefined && timeouts.requestMs > 0) {
      const left = Math.max(0, timeouts.requestMs - (performance.now() - ctx.started));
      this.requestTimer = setTimeout(() => this.onRequestTimeout(), left);
    }
  }

  /** `timeouts.request` ran out: 504 when nothing was answered yet, else the response is cut. */
  private onRequestTimeout(): void {
    this.requestTimedOut = true;
    clearTimeout(this.backoffTimer);
    const err = new RequestTimeoutError(`request not complete within ${this.timeouts.requestMs} ms`);
    if (this.proxyReq && !this.proxyReq.destroyed) this.proxyReq.destroy(err);
    else if (this.res.headersSent) abortResponse(this.res);
    else this.answer(504, 'request timed out');
  }

  private count(endpoint: Endpoint | undefined): void {
    if (this.counted) this.load.release(this.counted.id);
    this.counted = endpoint;
    if (endpoint) this.load.acquire(endpoint.id);
  }

  attempt(): void {
    if (this.requestTimedOut || this.res.destroyed) return;
    const endpoint = this.tries < this.maxTries ? this.choose() : undefined;
    if (!endpoint) return this.giveUp();
    this.tries++;
    const token = ++this.tryToken;
    this.endpoint = endpoint;
    this.reuse = undefined;
    this.webOptions = undefined;
    this.tried.add(endpoint.id);
    this.count(endpoint);
    const route = this.ctx.route!;
    const retry = this.tries > 1;
    // The chosen backendRef's protocol (HTTPRoute), else the route's.
    if ((this.ctx.gatewayBackend?.target ?? route.backend).protocol === 'h2c') return this.attemptH2c(endpoint, retry, token);
    this.proxy.web(
      this.ctx.req,
      this.res,
      {
        target: { protocol: route.backend.tls ? 'https:' : 'http:', host: endpoint.host, port: endpoint.port },
        agent: this.agents.for(endpoint, route.backend.tls),
        connectTimeout: route.timeouts.connectMs,
        // The request target was rewritten already: forward it byte for byte.
        toProxy: true,
        prependPath: false,
        xfwd: false,
        // A held body goes to every try; a retried bodyless one: the stream was consumed by the failed try.
        ...(this.body ? { buffer: Readable.from([this.body]) } : retry ? { buffer: Readable.from([]) } : {}),
      },
      (err: Error) => {
        if (token === this.tryToken) this.onError(endpoint, err);
      },
    );
  }

  /** An endpoint not tried yet; with a retry policy, any (the same one again) once all were. */
  private choose(): Endpoint | undefined {
    const fresh = this.hooks.choose(this.tried);
    if (fresh || !this.retry || this.tried.size === 0) return fresh;
    return this.hooks.choose(new Set());
  }

  /** An attempt over the endpoint's h2c session; its errors go where http-proxy-3's do. */
  private attemptH2c(endpoint: Endpoint, retry: boolean, token: number): void {
    const bodyless = this.framing.kind === 'none' || (this.framing.kind === 'length' && this.framing.length === 0);
    const events = {
      response: (head: BackendHead) => {
        this.answered = true;
        this.hooks.response(endpoint, head);
      },
      failed: (err: Error) => {
        if (token === this.tryToken) this.onError(endpoint, err);
      },
    };
    let stream: ReturnType<typeof sendOverH2c>;
    try {
      const session = this.agents.h2c.for(endpoint, this.ctx.route!.timeouts.connectMs);
      stream = sendOverH2c(session, { req: this.ctx.req, res: this.res, framing: this.framing, emptyBody: bodyless || retry }, events);
    } catch (err) {
      // The session went away between the lookup and the request (ERR_HTTP2_INVALID_SESSION, GOAWAY).
      return this.onError(endpoint, err as Error);
    }
    this.armAttempt(cancellable(stream), (ended) => stream.once('end', ended));
  }

  onProxyReq(proxyReq: http.ClientRequest, options: WebOptions): void {
    this.webOptions = options;
    this.reuse = new BackendReuse(proxyReq, this.ctx.req);
    proxyReq.on('information', (info: http.InformationEvent) => relayInterim(this.res, info.statusCode, info.headers));
    // Complete when the response body has ended; an attempt that failed clears it in onError.
    this.armAttempt(proxyReq, (ended) => proxyReq.once('response', (proxyRes: http.IncomingMessage) => proxyRes.once('end', ended)));
  }

  /** The attempt's timeouts: `timeouts.backendRequest` until `onResponseEnd` calls back, and the route's idle timeout. */
  private armAttempt(proxyReq: BackendRequest, onResponseEnd: (ended: () => void) => void): void {
    this.proxyReq = proxyReq;
    const attemptMs = this.timeouts.backendRequestMs;
    if (attemptMs !== undefined && attemptMs > 0) {
      clearTimeout(this.attemptTimer);
      this.attemptTimer = setTimeout(() => {
        if (!proxyReq.destroyed) proxyReq.destroy(new BackendTimeoutError(`backend response not complete within ${attemptMs} ms`));
      }, attemptMs);
      onResponseEnd(() => clearTimeout(this.attemptTimer));
    }
    const idleMs = this.ctx.route!.timeouts.idleMs;
    // An inactivity timer on the backend socket: a response that sends nothing for this long is cut.
    if (idleMs > 0) proxyReq.setTimeout(idleMs, () => proxyReq.destroy(new IdleTimeoutError(`no bytes for ${idleMs} ms`)));
  }

  onProxyRes(proxyRes: http.IncomingMessage, res: http.ServerResponse): void {
    const status = proxyRes.statusCode ?? 0;
    if (this.webOptions && this.canRetry() && retryStatus(this.retry, status)) return this.dropAndRetry(proxyRes, this.webOptions, status);
    this.answered = true;
    // The backend's own connection management stays between it and wsgate.
    delete proxyRes.headers['keep-alive'];
    const req = this.ctx.req;
    if (req.httpVersionMajor === 2) this.onProxyResH2(proxyRes, res);
    else this.onProxyResH1(proxyRes, res);
    if (proxyRes.headers.trailer) {
      proxyRes.once('end', () => {
        if (Object.keys(proxyRes.trailers).length > 0) res.addTrailers(proxyRes.trailers);
      });
    }
    // The backend cut its response short (its connection closed mid-body): so does wsgate, or
    // the client would wait for the rest of a body that will never come.
    proxyRes.once('close', () => {
      if (!proxyRes.complete) abortResponse(res);
    });
    this.hooks.response(this.endpoint!, proxyRes);
    // http-proxy-3 sets the head on `res` and pipes the body: Node would send the head with the
    // first body byte, so an event stream's head (EventSource's `open`) would wait for its first
    // event. After this turn of the event loop, a head still unsent goes out alone; a body that
    // arrived with it has been written together with it by then.
    setImmediate(() => {
      if (!res.headersSent && !res.destroyed) res.flushHeaders();
    });
  }

  /**
   * An HTTP/2 client: the backend's connection-specific fields (and those its Connection
   * names) stay between it and wsgate (RFC 9113 8.2.2): Node's HTTP/2 response throws on them.
   */
  private onProxyResH2(proxyRes: http.IncomingMessage, _res: http.ServerResponse): void {
    dropConnectionHeaders(proxyRes.headers);
  }

  private onProxyResH1(proxyRes: http.IncomingMessage, res: http.ServerResponse): void {
    const req = this.ctx.req;
    // An HTTP/1.0 client reads a body without Content-Length to the connection's end (Node
    // closes it then), so such a response must not promise keep-alive.
    const closeDelimited = req.httpVersionMajor === 1 && req.httpVersionMinor === 0 && proxyRes.headers['content-length'] === undefined;
    const connection = res.shouldKeepAlive && !closeDelimited ? 'keep-alive' : 'close';
    proxyRes.headers.connection = connection;
    // http-proxy-3's setConnection pass (it runs after this event) writes req.headers.connection,
    // or "close", on the response to an HTTP/1.0 client, over the value above: the client would
    // be told (and Node would do) otherwise than its parser decided, and a request pipelined
    // behind would reach the backend unanswered. The request head has been sent by now, so
    // req.headers.connection can carry wsgate's decision to that pass.
    req.headers.connection = connection;
  }

  private onError(endpoint: Endpoint, err: Error): void {
    const code = failureCode(err);
    const failure: ExchangeFailure = this.requestTimedOut
      ? 'request_timeout'
      : code === 'EBACKENDTIMEOUT'
        ? 'backend_timeout'
        : code === 'EIDLETIMEOUT'
          ? 'idle_timeout'
          : code === 'ECONNECT_TIMEOUT'
            ? 'connect_timeout'
            : CONNECT_ERRORS.has(code)
              ? 'refused'
              : 'failed';
    const reason = retriedFailure(failure, this.retry !== undefined);
    const retrying = reason !== undefined && this.retryable && !this.answered && this.canRetry();
    this.lastFailure = failure;
    clearTimeout(this.attemptTimer);
    // A failed attempt's connection is never pooled, whatever state it was left in.
    this.reuse?.retire();
    this.hooks.failed(endpoint, failure, err, retrying);
    if (retrying) return this.retryAfterBackoff(endpoint, reason);
    // The client has its whole response: an error after that concerns the backend alone.
    if (responseComplete(this.res)) return;
    if (this.res.headersSent || this.answered) {
      // Mid-response: the client must see that the body is incomplete.
      abortResponse(this.res);
      return;
    }
    const timedOut = failure === 'connect_timeout' || failure === 'idle_timeout' || failure === 'request_timeout' || failure === 'backend_timeout';
    this.answer(timedOut ? 504 : 502, timedOut ? 'backend timed out' : 'backend failed');
  }

  /** Another try may start: tries left, nothing sent to the client yet, the client still there. */
  private canRetry(): boolean {
    return this.tries < this.maxTries && !this.res.headersSent && !this.res.destroyed && !this.ctx.req.socket.destroyed && !this.requestTimedOut;
  }

  /**
   * A response with a status the policy retries: http-proxy-3 is told not to relay it (the
   * passes that copy its head and the pipe of its body run after this event and read
   * selfHandleResponse), its body is read and dropped (the connection may be pooled again), or
   * its connection closed when the body is larger than a retry would wait for; then the next try.
   */
  private dropAndRetry(proxyRes: http.IncomingMessage, options: WebOptions, status: number): void {
    options.selfHandleResponse = true;
    const endpoint = this.endpoint!;
    // Events of this try from now on (its timeout, its connection closing) are not failures to answer.
    this.tryToken++;
    this.proxyReq = undefined;
    let next = false;
    const proceed = () => {
      if (next) return;
      next = true;
      clearTimeout(this.attemptTimer);
      // The request timed out (answered 504) or the client left while the body drained.
      if (this.requestTimedOut || this.res.destroyed) return;
      this.retryAfterBackoff(endpoint, 'status', status);
    };
    proxyRes.on('error', () => {});
    proxyRes.once('end', proceed);
    proxyRes.once('close', proceed);
    const length = Number(proxyRes.headers['content-length'] ?? NaN);
    if (Number.isFinite(length) && length <= DRAIN_LIMIT_BYTES) proxyRes.resume();
    else {
      this.reuse?.retire();
      proxyRes.destroy();
    }
  }

  /** The policy's backoff, then the next try (at once without a policy: a refused connection). */
  private retryAfterBackoff(endpoint: Endpoint, reason: RetryReason, status?: number): void {
    this.hooks.retried(endpoint, reason, status);
    this.proxyReq = undefined;
    const waitMs = this.retry?.backoffMs ?? 0;
    if (waitMs <= 0) return this.attempt();
    this.backoffTimer = setTimeout(() => this.attempt(), waitMs);
  }

  private giveUp(): void {
    if (this.lastFailure === 'connect_timeout') this.answer(504, 'backend connect timed out');
    else this.answer(502, 'no backend accepted the connection');
  }

  private answer(status: number, message: string): void {
    if (this.res.headersSent || this.res.destroyed) return;
    this.res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(message + '\n');
  }
}
