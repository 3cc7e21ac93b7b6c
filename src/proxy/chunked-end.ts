// Where a chunked response body ends (RFC 9112 §7.1: chunks, the last chunk, trailers, a blank
// line), found without copying the body: the response relay forwards a non-101 answer to an
// upgrade byte for byte and must know when the backend's answer is over (or, to an HTTP/2
// stream, the data alone: HTTP/2 has no chunked coding).

/** Reading a chunk-size line (hex digits, then any extension, up to its LF). */
const SIZE_LINE = 0;
/** Inside a chunk's data: `size` bytes still to come. */
const DATA = 1;
/** The CRLF after a chunk's data. */
const DATA_CRLF = 2;
/** At the start of a trailer line (after the last chunk): a bare CRLF ends the body. */
const TRAILER_START = 3;
/** Inside a trailer field line, up to its LF. */
const TRAILER_LINE = 4;

type ChunkedState = typeof SIZE_LINE | typeof DATA | typeof DATA_CRLF | typeof TRAILER_START | typeof TRAILER_LINE;

/** Finds where a chunked body ends (last chunk, trailers, blank line), without copying it. */
export class ChunkedEnd {
  done = false;
  private state: ChunkedState = SIZE_LINE;
  /** The chunk size being read (SIZE_LINE), then the data bytes still to come (DATA). */
  private size = 0;
  private sawDigit = false;
  private inExtension = false;

  /**
   * Feeds bytes; returns how many of them belong to the body when it ends in this chunk, else
   * -1. `onData`, when given, gets the chunks' data without their framing (views of `chunk`,
   * not copies): what an HTTP/2 stream carries of a chunked body.
   */
  feed(chunk: Buffer, onData?: (data: Buffer) => void): number {
    let i = 0;
    while (i < chunk.length) {
      const byte = chunk[i]!;
      switch (this.state) {
        case SIZE_LINE:
          if (byte === 0x0a) {
            this.state = this.size === 0 && this.sawDigit ? TRAILER_START : DATA;
            this.sawDigit = false;
            this.inExtension = false;
          } else if (!this.inExtension && byte !== 0x0d) {
            const digit = hexValue(byte);
            if (digit === -1) this.inExtension = true;
            else {
              this.size = this.size * 16 + digit;
              this.sawDigit = true;
            }
          }
          i++;
          break;
        case DATA: {
          const take = Math.min(this.size, chunk.length - i);
          if (onData && take > 0) onData(chunk.subarray(i, i + take));
          this.size -= take;
          i += take;
          if (this.size === 0) this.state = DATA_CRLF;
          break;
        }
        case DATA_CRLF:
          if (byte === 0x0a) {
            this.state = SIZE_LINE;
            this.size = 0;
          }
          i++;
          break;
        case TRAILER_START:
          i++;
          if (byte === 0x0a) {
            this.done = true;
            return i;
          }
          if (byte !== 0x0d) this.state = TRAILER_LINE;
          break;
        case TRAILER_LINE:
          i++;
          if (byte === 0x0a) this.state = TRAILER_START;
          break;
      }
    }
    return -1;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
