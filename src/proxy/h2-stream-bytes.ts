// Bytes of one HTTP/2 stream's DATA, both ways, for the access log. Node's compatibility API
// reads a stream with read() (a 'data' listener would steal the body) and writes it through
// Writable, so the counts are taken where the DATA enters and leaves the stream object: push()
// (what nghttp2 delivered) and _write/_writev (what is handed to nghttp2).

import type http2 from 'node:http2';

export interface StreamBytes {
  readonly in: number;
  readonly out: number;
}

type Chunk = { chunk: Buffer | string };
type Counted = http2.ServerHttp2Stream & {
  push(chunk: unknown, encoding?: BufferEncoding): boolean;
  _write(chunk: Buffer | string, encoding: BufferEncoding, cb: (err?: Error | null) => void): void;
  _writev?(chunks: Chunk[], cb: (err?: Error | null) => void): void;
};

function size(chunk: unknown): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/** Starts counting `stream`'s DATA; read the counts at any time. */
export function countStreamBytes(stream: http2.ServerHttp2Stream): StreamBytes {
  const counts = { in: 0, out: 0 };
  const s = stream as Counted;
  const push = s.push;
  s.push = function (chunk: unknown, encoding?: BufferEncoding) {
    counts.in += size(chunk);
    return push.call(this, chunk, encoding);
  };
  const write = s._write;
  s._write = function (chunk, encoding, cb) {
    counts.out += size(chunk);
    write.call(this, chunk, encoding, cb);
  };
  const writev = s._writev;
  if (writev) {
    s._writev = function (chunks, cb) {
      for (const c of chunks) counts.out += size(c.chunk);
      writev.call(this, chunks, cb);
    };
  }
  return counts;
}
