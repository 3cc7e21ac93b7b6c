// How a plain request's try ended, as the exchange (http-exchange.ts), its retry rules
// (exchange-retry.ts), the stages and the metrics name it.

/** How an attempt ended without a usable response. */
export type ExchangeFailure = 'refused' | 'connect_timeout' | 'idle_timeout' | 'request_timeout' | 'backend_timeout' | 'failed';

/** Why a try was followed by another (the `reason` label of wsgate_http_retries_total). */
export type RetryReason = 'status' | 'connection_error' | 'backend_timeout';
