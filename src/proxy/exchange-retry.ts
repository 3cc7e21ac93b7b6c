// Which outcomes of a plain request's try are tried again (http-exchange.ts). Without a route
// retry policy only a refused or timed-out connect is: the backend never saw the request. An
// HTTPRoute rule's `retry` adds its status codes, any connection error before a response
// (HTTPRouteRetryConnectionError: a reset, a closed connection) and the backendRequest timeout
// (HTTPRouteRetryBackendTimeout). The request timeout and the idle timeout end the request.

import type { RetryPolicy } from '../routing/gateway-types.js';
import type { ExchangeFailure, RetryReason } from './exchange-outcome.js';

export function retryStatus(policy: RetryPolicy | undefined, status: number): boolean {
  return policy !== undefined && policy.codes.includes(status);
}

/** The reason a failed try is retried for, or undefined when it ends the request. */
export function retriedFailure(failure: ExchangeFailure, withPolicy: boolean): RetryReason | undefined {
  if (failure === 'refused' || failure === 'connect_timeout') return 'connection_error';
  if (!withPolicy) return undefined;
  if (failure === 'failed') return 'connection_error';
  if (failure === 'backend_timeout') return 'backend_timeout';
  return undefined;
}
