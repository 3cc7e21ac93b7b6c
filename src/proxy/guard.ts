// The security hook of the upgrade path: runs after routing and before a backend is chosen.
// Origin checks, authentication, limits and header rules plug in here (src/security).

import type { IncomingMessage } from 'node:http';
import type { CompiledRoute } from '../routing/types.js';
import type { UpgradeResult } from './observer.js';

export type GuardVerdict =
  | {
      ok: true;
      /** Headers to set on the upgrade request sent to the backend (e.g. forwarded claims). */
      headers?: Record<string, string>;
      /** Called once when the connection (or the failed attempt) ends: releases per-client counters. */
      release?: () => void;
    }
  | {
      ok: false;
      status: number;
      message: string;
      result: UpgradeResult;
      headers?: Record<string, string>;
    };

export interface UpgradeGuard {
  check(route: CompiledRoute, req: IncomingMessage): GuardVerdict | Promise<GuardVerdict>;
}

export const allowAll: UpgradeGuard = { check: () => ({ ok: true }) };
