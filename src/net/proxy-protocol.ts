// The PROXY protocol header (HAProxy, "The PROXY protocol", versions 1 and 2), parsed from the
// first bytes of a connection. Pure: bytes in, a named state out; it never throws, whatever the
// bytes, and reads nothing past the buffer it is given (every length is checked against it
// before it is followed), so a balancer's header (or anyone's garbage) cannot crash or hang the
// accept path. The caller (proxy-protocol-gate.ts) feeds it the bytes received so far.

import { isIPv4, isIPv6 } from 'node:net';

/** A v1 header is at most 107 bytes, CRLF included (spec 2.1). */
export const V1_MAX_LENGTH = 107;
/**
 * The largest v2 header accepted: 16 bytes of fixed part, the address block and TLVs. The spec
 * allows 65535 + 16; balancers send tens of bytes (AWS NLB's VPC endpoint TLV, GCP's PSC id),
 * so more is refused rather than buffered.
 */
export const V2_MAX_LENGTH = 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED = 16;
/** Address block sizes by family (spec 2.2): AF_INET, AF_INET6, AF_UNIX. */
const V2_INET = 12;
const V2_INET6 = 36;
const V2_UNIX = 216;

/** The client the header names. */
export interface ProxiedAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export type ProxyHeaderParse =
  /** More bytes are needed to tell. */
  | { state: 'incomplete' }
  /** Not a valid header: the connection is closed. */
  | { state: 'invalid'; reason: string }
  /**
   * A whole header of `length` bytes. `source` is the client it carries; undefined for v1
   * UNKNOWN, v2 LOCAL and v2 families without an IP address (UNSPEC, UNIX): the connection's
   * own peer is the client then.
   */
  | { state: 'complete'; version: 1 | 2; length: number; source: ProxiedAddress | undefined; tlvs: number };

/** Whether the first bytes of a connection are, may still become, or cannot be a PROXY header. */
export type SignatureMatch = 'yes' | 'maybe' | 'no';

export function matchSignature(buf: Buffer): SignatureMatch {
  const best = Math.max(rank(buf, V1_PREFIX), rank(buf, V2_SIGNATURE));
  return best === 2 ? 'yes' : best === 1 ? 'maybe' : 'no';
}

/** 2: starts with `sig`; 1: a proper prefix of it; 0: neither. */
function rank(buf: Buffer, sig: Buffer): 0 | 1 | 2 {
  const n = Math.min(buf.length, sig.length);
  if (buf.compare(sig, 0, n, 0, n) !== 0) return 0;
  return buf.length >= sig.length ? 2 : 1;
}

export function parseProxyHeader(buf: Buffer): ProxyHeaderParse {
  if (rank(buf, V2_SIGNATURE) === 2) return parseV2(buf);
  if (rank(buf, V1_PREFIX) === 2) return parseV1(buf);
  if (rank(buf, V2_SIGNATURE) === 1 || rank(buf, V1_PREFIX) === 1) return { state: 'incomplete' };
  return { state: 'invalid', reason: 'no PROXY protocol signature' };
}

function parseV1(buf: Buffer): ProxyHeaderParse {
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end === -1 || end + 2 > V1_MAX_LENGTH) {
    if (buf.length >= V1_MAX_LENGTH) return { state: 'invalid', reason: `v1 header longer than ${V1_MAX_LENGTH} bytes` };
    // A stray LF or any byte outside printable ASCII can never become a valid line.
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!;
      if ((c < 0x20 || c > 0x7e) && !(c === 0x0d && i === buf.length - 1)) return { state: 'invalid', reason: 'v1 header has a byte that is not printable ASCII' };
    }
    return { state: 'incomplete' };
  }
  const length = end + 2;
  const line = buf.toString('latin1', 0, end);
  if (!/^[\x20-\x7e]*$/.test(line)) return { state: 'invalid', reason: 'v1 header has a byte that is not printable ASCII' };
  const parts = line.split(' ');
  if (parts[1] === 'UNKNOWN') return { state: 'complete', version: 1, length, source: undefined, tlvs: 0 };
  if (parts.length !== 6) return { state: 'invalid', reason: 'v1 header needs: PROXY TCP4|TCP6 SRC DST SPORT DPORT' };
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const family = proto === 'TCP4' ? 'IPv4' : proto === 'TCP6' ? 'IPv6' : undefined;
  if (!family) return { state: 'invalid', reason: `v1 protocol "${proto}" is not TCP4, TCP6 or UNKNOWN` };
  const isFamily = family === 'IPv4' ? isIPv4 : isIPv6;
  if (!isFamily(src) || !isFamily(dst)) return { state: 'invalid', reason: `v1 addresses are not ${family}` };
  const port = v1Port(sport);
  if (port === undefined || v1Port(dport) === undefined) return { state: 'invalid', reason: 'v1 port is not a number from 0 to 65535' };
  return { state: 'complete', version: 1, length, source: { address: src.toLowerCase(), port, family }, tlvs: 0 };
}

/** Decimal, no leading zero, at most 65535. */
function v1Port(text: string): number | undefined {
  if (!/^(0|[1-9]\d{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function parseV2(buf: Buffer): ProxyHeaderParse {
  if (buf.length < V2_FIXED) return { state: 'incomplete' };
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return { state: 'invalid', reason: `v2 version ${verCmd >> 4} is not 2` };
  const command = verCmd & 0x0f;
  if (command > 1) return { state: 'invalid', reason: `v2 command ${command} is neither LOCAL nor PROXY` };
  const famProto = buf[13]!;
  const length = V2_FIXED + buf.readUInt16BE(14);
  if (length > V2_MAX_LENGTH) return { state: 'invalid', reason: `v2 header of ${length} bytes is longer than ${V2_MAX_LENGTH}` };
  if (buf.length < length) return { state: 'incomplete' };
  const family = famProto >> 4;
  const transport = famProto & 0x0f;
  if (family > 3 || transport > 2) return { state: 'invalid', reason: `v2 family/protocol byte 0x${famProto.toString(16)} is not defined` };
  // LOCAL (the balancer's own connection, health checks) and AF_UNSPEC: the spec says to ignore
  // everything after the fixed part and use the connection's own addresses.
  if (command === 0 || family === 0) return { state: 'complete', version: 2, length, source: undefined, tlvs: 0 };
  const addressBytes = family === 1 ? V2_INET : family === 2 ? V2_INET6 : V2_UNIX;
  if (length < V2_FIXED + addressBytes) return { state: 'invalid', reason: `v2 address block shorter than ${addressBytes} bytes` };
  // AF_UNIX: no IP address to take; the connection's own peer is the client.
  if (family === 3) return complete(buf, length, V2_FIXED + addressBytes, undefined);
  if (transport !== 1) return { state: 'invalid', reason: 'v2 header of a datagram or unspecified transport on a stream connection' };
  const at = V2_FIXED;
  const source: ProxiedAddress =
    family === 1
      ? { address: `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`, port: buf.readUInt16BE(at + 8), family: 'IPv4' }
      : { address: ipv6Text(buf, at), port: buf.readUInt16BE(at + 32), family: 'IPv6' };
  return complete(buf, length, at + addressBytes, source);
}

/** The header once its TLVs (from `tlvStart` to `length`) are walked: each must fit exactly. */
function complete(buf: Buffer, length: number, tlvStart: number, source: ProxiedAddress | undefined): ProxyHeaderParse {
  const tlvs = countTlvs(buf, tlvStart, length);
  if (tlvs === undefined) return { state: 'invalid', reason: 'v2 TLV runs past the end of the header' };
  return { state: 'complete', version: 2, length, source, tlvs };
}

/**
 * The TLVs between `start` and `end` (type, 2-byte length, value), skipped: wsgate uses none of
 * them. undefined when one is cut off. Bounded by `end`, each step advancing at least 3 bytes.
 */
function countTlvs(buf: Buffer, start: number, end: number): number | undefined {
  let at = start;
  let n = 0;
  while (at < end) {
    if (at + 3 > end) return undefined;
    const next = at + 3 + buf.readUInt16BE(at + 1);
    if (next > end) return undefined;
    at = next;
    n++;
  }
  return n;
}

/**
 * 16 bytes at `at` in RFC 5952 form (the WHATWG URL host serialiser compresses the longest zero
 * run); an IPv4-mapped address as ::ffff:a.b.c.d, which client identity reads as IPv4.
 */
function ipv6Text(buf: Buffer, at: number): string {
  const mapped = buf.readUInt32BE(at) === 0 && buf.readUInt32BE(at + 4) === 0 && buf.readUInt32BE(at + 8) === 0xffff;
  if (mapped) return `::ffff:${buf[at + 12]}.${buf[at + 13]}.${buf[at + 14]}.${buf[at + 15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
