// The one stage runner: which stages a request passes (its kind and protocol), in list order;
// a refusal is observed, then answered through the responder, and nothing after it runs; a
// stage that takes the request over ends the run without an answer; promises are awaited.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestContext, type RequestKind } from '../../src/pipeline/context.js';
import type { Protocol, Responder } from '../../src/pipeline/responder.js';
import { StageRunner } from '../../src/pipeline/runner.js';
import { TAKEN, type Refusal, type Stage, type StageName, type StageOutcome } from '../../src/pipeline/stage.js';

/** A responder that records what it was asked to do. */
function recordingResponder(protocol: Protocol, events: string[]): Responder {
  return {
    protocol,
    gone: false,
    refuse: (status, message, headers) => events.push(`refuse ${status} ${message} ${JSON.stringify(headers ?? {})}`),
    close: () => events.push('close'),
    onClose: () => events.push('onClose'),
  };
}

function ctxFor(kind: RequestKind, protocol: Protocol): RequestContext {
  return new RequestContext(kind, { headers: {}, url: '/' } as never, '127.0.0.1', 'main', protocol);
}

/** A stage that logs its name and answers `outcome`. */
function stage(name: StageName, events: string[], outcome: StageOutcome = undefined, only: Partial<Pick<Stage, 'kinds' | 'protocols'>> = {}): Stage {
  return { name, ...only, run: () => (events.push(name), outcome) };
}

test('a request passes the stages of its kind and protocol, in list order', async () => {
  const events: string[] = [];
  const runner = new StageRunner(
    [
      stage('framing', events, undefined, { kinds: ['http'], protocols: ['http/1.1'] }),
      stage('shutting-down', events),
      stage('handshake', events, undefined, { kinds: ['upgrade'] }),
      stage('normalise', events),
      stage('methods', events, undefined, { kinds: ['http'] }),
      stage('exchange', events, TAKEN),
    ],
    { refused: () => events.push('refused') },
  );
  const names = (kind: RequestKind, protocol: Protocol) => runner.stagesFor(kind, protocol).map((s) => s.name);
  assert.deepEqual(names('http', 'http/1.1'), ['framing', 'shutting-down', 'normalise', 'methods', 'exchange']);
  assert.deepEqual(names('http', 'h2'), ['shutting-down', 'normalise', 'methods', 'exchange']);
  assert.deepEqual(names('upgrade', 'http/1.1'), ['shutting-down', 'handshake', 'normalise', 'exchange']);
  assert.deepEqual(names('upgrade', 'h2'), ['shutting-down', 'handshake', 'normalise', 'exchange']);

  await runner.run(ctxFor('upgrade', 'h2'), recordingResponder('h2', events));
  assert.deepEqual(events, ['shutting-down', 'handshake', 'normalise', 'exchange'], 'taken over: no answer, no observation');
});

test('a refusal is observed, then answered through the responder, and no later stage runs', async () => {
  const events: string[] = [];
  const refusal: Refusal = { status: 404, message: 'no route', result: 'no_route', headers: { 'Retry-After': '1' } };
  const seen: Array<[RequestContext, Refusal]> = [];
  const runner = new StageRunner([stage('normalise', events), stage('lookup', events, refusal), stage('exchange', events, TAKEN)], {
    refused: (ctx, r) => {
      seen.push([ctx, r]);
      events.push('refused');
    },
  });
  const ctx = ctxFor('http', 'http/1.1');
  await runner.run(ctx, recordingResponder('http/1.1', events));
  assert.deepEqual(events, ['normalise', 'lookup', 'refused', 'refuse 404 no route {"Retry-After":"1"}']);
  assert.equal(seen[0]![0], ctx);
  assert.equal(seen[0]![1], refusal);
});

test('a stage\'s promise is awaited before the next stage runs, and its refusal counts', async () => {
  const events: string[] = [];
  let admit!: (outcome: StageOutcome) => void;
  const slow: Stage = { name: 'admit', run: () => new Promise<StageOutcome>((resolve) => (admit = resolve)) };
  const runner = new StageRunner([slow, stage('rewrite', events)], { refused: () => events.push('refused') });

  const first = runner.run(ctxFor('upgrade', 'http/1.1'), recordingResponder('http/1.1', events));
  await Promise.resolve();
  assert.deepEqual(events, [], 'nothing after the pending stage');
  admit(undefined);
  await first;
  assert.deepEqual(events, ['rewrite']);

  events.length = 0;
  const second = runner.run(ctxFor('upgrade', 'http/1.1'), recordingResponder('http/1.1', events));
  admit({ status: 403, message: 'origin not allowed', result: 'forbidden' });
  await second;
  assert.deepEqual(events, ['refused', 'refuse 403 origin not allowed {}']);
});
