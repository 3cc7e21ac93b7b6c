import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.js';
import type { WebSocketRouteSpec } from '../../src/api/types.js';
import { compileMessages } from '../../src/routing/compile-messages.js';

const base = (): WebSocketRouteSpec => ({ match: { path: '/' }, backend: { endpoints: [{ host: '127.0.0.1', port: 1 }] } });

describe('compileMessages', () => {
  it('compiles nothing for a route without messages or keepalive (the plain forwarding path)', () => {
    assert.deepEqual(compileMessages(applyDefaults(base())), {});
  });

  it('turns quantities into bytes, durations into ms, and defaults bursts and the mode', () => {
    const spec = { ...base(), messages: { maxBytes: '1Mi', rate: { perSecond: 2.5 }, byteRate: { perSecond: '1Ki' } }, keepalive: { pingInterval: '30s' } };
    assert.deepEqual(compileMessages(applyDefaults(spec)), {
      messages: {
        maxBytes: 1048576,
        maxBytesFromBackend: 0,
        rate: { perSecond: 2.5, burst: 3 },
        byteRate: { perSecond: 1024, burst: 1024 },
        onRateExceeded: 'Throttle',
      },
      keepalive: { pingIntervalMs: 30_000, pongTimeoutMs: 10_000 },
    });
  });

  it('keeps explicit bursts and Close', () => {
    const spec = { ...base(), messages: { maxBytesFromBackend: 100, rate: { perSecond: 50, burst: 100 }, byteRate: { perSecond: '1Mi', burst: '4Mi' }, onRateExceeded: 'Close' as const } };
    const m = compileMessages(applyDefaults(spec)).messages!;
    assert.deepEqual([m.maxBytes, m.maxBytesFromBackend, m.rate, m.byteRate, m.onRateExceeded], [0, 100, { perSecond: 50, burst: 100 }, { perSecond: 1048576, burst: 4194304 }, 'Close']);
  });

  it('an empty messages block (only the defaulted mode) compiles to no limits', () => {
    assert.equal(compileMessages(applyDefaults({ ...base(), messages: {} })).messages, undefined);
  });
});
