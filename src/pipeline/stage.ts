// A named stage of the data plane and what it can decide. A stage reads and fills in the
// RequestContext and either lets the request go on, refuses it (the runner answers through
// the responder and observes the refusal), or takes it over (the exchange, which answers by
// itself; or a client that is gone and gets no answer).

import type { RequestContext, RequestKind, UpgradeResult } from './context.js';
import type { Protocol, Responder } from './responder.js';

export type StageName =
  | 'framing'
  | 'shutting-down'
  | 'handshake'
  | 'normalise'
  | 'misdirected'
  | 'overload'
  | 'lookup'
  | 'cors'
  | 'gateway-filter'
  | 'methods'
  | 'endpoints'
  | 'admit'
  | 'client-gone'
  | 'rewrite'
  | 'mirror'
  | 'exchange';

/** Why a request is answered by wsgate instead of a backend. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
  /** For wsgate_upgrades_total (an upgrade's outcome). */
  readonly result: UpgradeResult;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The stage took the request over: the runner stops and answers nothing. */
export const TAKEN = 'taken';

/** undefined: on to the next stage. */
export type StageOutcome = undefined | Refusal | typeof TAKEN;

export interface Stage<R extends Responder = Responder> {
  readonly name: StageName;
  /** The kinds of request it runs for (absent: all). */
  readonly kinds?: readonly RequestKind[];
  /** The client protocols it runs for (absent: all). */
  readonly protocols?: readonly Protocol[];
  run(ctx: RequestContext, responder: R): StageOutcome | Promise<StageOutcome>;
}
