// The request body of a plain request a route may retry (HTTPRoute rules[].retry): read whole
// before the first try, so every try sends the same bytes. Only a body whose Content-Length is
// at most RETRY_BODY_CAP_BYTES is read this way; a larger one, or a chunked one (its size is
// unknown until its end), streams to a single try as any other body does.

import type http from 'node:http';
import { RETRY_BODY_CAP_BYTES } from '../api/defaults.js';
import type { BodyFraming } from './request-framing.js';

/** Whether a body so framed is sent again on a retry: none, or one small enough to hold. */
export function replayable(framing: BodyFraming): boolean {
  return framing.kind === 'none' || (framing.kind === 'length' && framing.length <= RETRY_BODY_CAP_BYTES);
}

/** Whether the body must be read before the first try (there is one, and it is held). */
export function needsHolding(framing: BodyFraming): framing is { kind: 'length'; length: number } {
  return framing.kind === 'length' && framing.length > 0 && framing.length <= RETRY_BODY_CAP_BYTES;
}

/**
 * Reads the whole body of `req` (its parser already holds it to `length` bytes). Resolves
 * undefined when the request ends short or fails: the client is gone and nothing is sent.
 */
export function holdBody(req: http.IncomingMessage, length: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    };
    const done = (body: Buffer | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFail);
      req.off('close', onFail);
      resolve(body);
    };
    const onEnd = () => done(size === length ? Buffer.concat(chunks, size) : undefined);
    const onFail = () => done(undefined);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onFail);
    req.once('close', onFail);
  });
}
