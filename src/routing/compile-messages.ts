// spec.messages and spec.keepalive (defaulted) into what the data plane reads per frame:
// plain numbers, nothing to parse on a connection. Pure; shared by the WebSocketRoute and the
// HTTPRoute (WebSocketPolicy) processors. Absent blocks compile to nothing, so a route without
// them keeps the proxy's plain forwarding path.

import { defaultBurst, type DefaultedSpec } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import { parseByteSize } from '../api/quantity.js';
import type { CompiledKeepalive, CompiledMessages } from './types.js';

type Compiled = { messages?: CompiledMessages; keepalive?: CompiledKeepalive };

export function compileMessages(spec: Pick<DefaultedSpec, 'messages' | 'keepalive'>): Compiled {
  const out: Compiled = {};
  const m = spec.messages;
  if (m && (m.maxBytes !== undefined || m.maxBytesFromBackend !== undefined || m.rate || m.byteRate)) {
    const byteRate = m.byteRate ? parseByteSize(m.byteRate.perSecond) : 0;
    out.messages = Object.freeze({
      maxBytes: m.maxBytes === undefined ? 0 : parseByteSize(m.maxBytes),
      maxBytesFromBackend: m.maxBytesFromBackend === undefined ? 0 : parseByteSize(m.maxBytesFromBackend),
      ...(m.rate ? { rate: { perSecond: m.rate.perSecond, burst: m.rate.burst ?? defaultBurst(m.rate.perSecond) } } : {}),
      ...(m.byteRate
        ? { byteRate: { perSecond: byteRate, burst: m.byteRate.burst === undefined ? defaultBurst(byteRate) : parseByteSize(m.byteRate.burst) } }
        : {}),
      onRateExceeded: m.onRateExceeded,
    });
  }
  const k = spec.keepalive;
  if (k) out.keepalive = Object.freeze({ pingIntervalMs: parseDuration(k.pingInterval), pongTimeoutMs: parseDuration(k.pongTimeout) });
  return out;
}
