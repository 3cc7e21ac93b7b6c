// The framing cases of the differential smuggling suite (smuggling.test.ts): raw client bytes
// and exactly what the backend must parse from them. Sources: RFC 9112 6 (message body
// length), RFC 9110 7.6.1 (Connection), and the CL.TE / TE.CL / TE.TE write-ups (Linhart et
// al. 2005, Kettle 2019 "HTTP Desync Attacks", Kettle 2022 "Browser-Powered Desync").

/** What the backend must parse for one forwarded client request. */
export interface Forwarded {
  readonly method: string;
  readonly target: string;
  readonly body: string;
  /** The framing header wsgate must have written (checked against the body in every case). */
  readonly framing: 'length' | 'chunked' | 'none';
  /** Headers that must arrive with these values (null: must be absent). */
  readonly headers?: Readonly<Record<string, string | null>>;
}

export interface FramingCase {
  readonly name: string;
  /** Sent in one write on one client connection. */
  readonly raw: string;
  /** The client's requests as the backend must parse them, in order; nothing else. */
  readonly forwarded?: readonly Forwarded[];
  /** Or: wsgate answers this status, closes the connection, and the backend parses nothing. */
  readonly refused?: 400 | 501;
  /**
   * With `refused`, for a body the parser refuses after valid bytes: those were streamed before
   * the error, so the backend may hold this request cut short (never complete), its connection
   * closed by wsgate. Nothing else.
   */
  readonly cutShort?: { readonly method: string; readonly target: string; readonly body: string };
  /** The answer to a HEAD has no body. */
  readonly bodyless?: boolean;
}

const HOST = 'Host: gw.test';

/** A request head and body; header lines without CRLF. */
export function request(method: string, target: string, headers: readonly string[], body = '', version = 'HTTP/1.1'): string {
  return `${method} ${target} ${version}\r\n${[HOST, ...headers].map((h) => `${h}\r\n`).join('')}\r\n${body}`;
}

/** `data` as one chunk and the last chunk. */
export function chunked(data: string): string {
  return `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n0\r\n\r\n`;
}

/** A complete request hidden in a body: what a backend that misreads the framing would serve. */
export const SMUGGLED = request('GET', '/admin/secret', []);
/** An unterminated request prefix: the next client's request would complete it on a shared connection. */
export const PREFIX = 'GET /admin/secret HTTP/1.1\r\nX-Ignore: ';

const cl = (body: string) => `Content-Length: ${Buffer.byteLength(body)}`;
const TE = 'Transfer-Encoding: chunked';

/** A GET whose body is `payload`, framed by Content-Length and by chunked, the framing header named in Connection. */
function framingNamedInConnection(what: string, payload: string): FramingCase[] {
  return [
    {
      name: `${what} in a GET's Content-Length body, Connection: content-length`,
      raw: request('GET', '/public/x', [cl(payload), 'Connection: content-length'], payload),
      forwarded: [{ method: 'GET', target: '/public/x', body: payload, framing: 'length' }],
    },
    {
      name: `${what} in a GET's chunked body, Connection: transfer-encoding`,
      raw: request('GET', '/public/x', [TE, 'Connection: transfer-encoding'], chunked(payload)),
      forwarded: [{ method: 'GET', target: '/public/x', body: payload, framing: 'chunked' }],
    },
  ];
}

export const FRAMING_CASES: readonly FramingCase[] = [
  // --- Connection naming framing headers (issue 21, step 1) ---------------------------------
  ...framingNamedInConnection('a complete request', SMUGGLED),
  {
    name: 'Connection: Content-Length in mixed case between other tokens',
    raw: request('POST', '/public/x', ['Connection: keep-alive, Content-Length, X-Foo', cl(SMUGGLED), 'X-Foo: dropped'], SMUGGLED),
    forwarded: [{ method: 'POST', target: '/public/x', body: SMUGGLED, framing: 'length', headers: { 'x-foo': null } }],
  },
  {
    name: 'Connection: TRANSFER-ENCODING last, in upper case, on a second Connection line',
    raw: request('POST', '/public/x', ['Connection: keep-alive', TE, 'Connection: TRANSFER-ENCODING'], chunked(SMUGGLED)),
    forwarded: [{ method: 'POST', target: '/public/x', body: SMUGGLED, framing: 'chunked' }],
  },
  {
    name: 'Connection: host keeps Host',
    raw: request('GET', '/public/x', ['Connection: host']),
    forwarded: [{ method: 'GET', target: '/public/x', body: '', framing: 'none', headers: { host: 'gw.test' } }],
  },
  {
    name: 'Connection: x-request-id keeps the X-Request-Id wsgate forwards (issue 21, step 4)',
    raw: request('GET', '/public/x', ['Connection: x-request-id', 'X-Request-Id: rid-smuggle-1']),
    forwarded: [{ method: 'GET', target: '/public/x', body: '', framing: 'none', headers: { 'x-request-id': 'rid-smuggle-1' } }],
  },
  {
    name: 'Connection naming X-Forwarded-*, Forwarded, X-Real-IP, traceparent and tracestate keeps them',
    raw: request('GET', '/public/x', ['Connection: x-forwarded-for, x-forwarded-proto, forwarded, x-real-ip, traceparent, tracestate, x-forwarded-prefix', 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'tracestate: v=1', 'X-Forwarded-Prefix: /p']),
    forwarded: [
      {
        method: 'GET',
        target: '/public/x',
        body: '',
        framing: 'none',
        headers: {
          'x-forwarded-for': '127.0.0.1',
          'x-forwarded-proto': 'http',
          forwarded: 'for=127.0.0.1;host=gw.test;proto=http',
          'x-real-ip': '127.0.0.1',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          tracestate: 'v=1',
          'x-forwarded-prefix': '/p',
        },
      },
    ],
  },
  {
    name: 'Forwarded, X-Real-IP, X-Original-URL and X-Rewrite-URL from an untrusted client do not reach the backend (issue 21, step 5)',
    raw: request('GET', '/public/x', ['Forwarded: for=6.6.6.6;proto=https', 'X-Real-IP: 6.6.6.6', 'X-Original-URL: /admin/secret', 'X-Rewrite-URL: /admin/secret']),
    forwarded: [
      {
        method: 'GET',
        target: '/public/x',
        body: '',
        framing: 'none',
        headers: { forwarded: 'for=127.0.0.1;host=gw.test;proto=http', 'x-real-ip': '127.0.0.1', 'x-original-url': null, 'x-rewrite-url': null },
      },
    ],
  },
  {
    name: 'underscore spellings of forwarding headers (X_Forwarded_For, X_Real_IP, X_Request_Id, X_Original_URL) do not reach the backend, which may fold "_" into "-"',
    raw: request('GET', '/public/x', ['X_Forwarded_For: 6.6.6.6', 'X-Forwarded_Host: admin.test', 'x_real_ip: 6.6.6.6', 'X_Request_Id: forged', 'X_Original_URL: /admin/secret', 'X_Tenant: kept']),
    forwarded: [
      {
        method: 'GET',
        target: '/public/x',
        body: '',
        framing: 'none',
        headers: {
          'x-forwarded-for': '127.0.0.1',
          'x-real-ip': '127.0.0.1',
          x_forwarded_for: null,
          'x-forwarded_host': null,
          x_real_ip: null,
          x_request_id: null,
          x_original_url: null,
          // Not a header wsgate sets or removes: passed on as sent.
          x_tenant: 'kept',
        },
      },
    ],
  },
  // --- bodies on every method (issue 21, step 2: deleteLength, unframed GET/HEAD/DELETE/OPTIONS)
  {
    name: 'HEAD with a Content-Length body',
    raw: request('HEAD', '/public/x', [cl('head-body')], 'head-body'),
    forwarded: [{ method: 'HEAD', target: '/public/x', body: 'head-body', framing: 'length' }],
    bodyless: true,
  },
  {
    name: 'HEAD with a chunked body',
    raw: request('HEAD', '/public/x', [TE], chunked('head-body')),
    forwarded: [{ method: 'HEAD', target: '/public/x', body: 'head-body', framing: 'chunked' }],
    bodyless: true,
  },
  {
    name: 'DELETE with a chunked body (http-proxy-3 deleteLength would send Content-Length: 0)',
    raw: request('DELETE', '/public/x', [TE], chunked(SMUGGLED)),
    forwarded: [{ method: 'DELETE', target: '/public/x', body: SMUGGLED, framing: 'chunked' }],
  },
  {
    name: 'DELETE with a Content-Length body',
    raw: request('DELETE', '/public/x', [cl('gone')], 'gone'),
    forwarded: [{ method: 'DELETE', target: '/public/x', body: 'gone', framing: 'length' }],
  },
  {
    name: 'OPTIONS with a chunked body',
    raw: request('OPTIONS', '/public/x', [TE], chunked(SMUGGLED)),
    forwarded: [{ method: 'OPTIONS', target: '/public/x', body: SMUGGLED, framing: 'chunked' }],
  },
  {
    name: 'OPTIONS with a Content-Length body',
    raw: request('OPTIONS', '/public/x', [cl('opts')], 'opts'),
    forwarded: [{ method: 'OPTIONS', target: '/public/x', body: 'opts', framing: 'length' }],
  },
  {
    name: 'CORS preflight to the keyed route with a chunked body carrying a request (no credentials)',
    raw: request('OPTIONS', '/admin/x', ['Origin: https://app.test', 'Access-Control-Request-Method: GET', TE], chunked(SMUGGLED)),
    forwarded: [{ method: 'OPTIONS', target: '/admin/x', body: SMUGGLED, framing: 'chunked' }],
  },
  {
    name: 'CORS preflight with a Content-Length body and Connection: content-length',
    raw: request('OPTIONS', '/admin/x', ['Origin: https://app.test', 'Access-Control-Request-Method: GET', cl(SMUGGLED), 'Connection: content-length'], SMUGGLED),
    forwarded: [{ method: 'OPTIONS', target: '/admin/x', body: SMUGGLED, framing: 'length' }],
  },
  {
    name: 'POST with a Content-Length body',
    raw: request('POST', '/public/x', [cl('a=1&b=2')], 'a=1&b=2'),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'a=1&b=2', framing: 'length' }],
  },
  {
    name: 'PUT with a chunked body in several chunks',
    raw: request('PUT', '/public/x', [TE], '3\r\nabc\r\n4\r\ndefg\r\n1\r\nh\r\n0\r\n\r\n'),
    forwarded: [{ method: 'PUT', target: '/public/x', body: 'abcdefgh', framing: 'chunked' }],
  },
  {
    name: 'PATCH with a Content-Length body',
    raw: request('PATCH', '/public/x', [cl('{"a":1}')], '{"a":1}'),
    forwarded: [{ method: 'PATCH', target: '/public/x', body: '{"a":1}', framing: 'length' }],
  },
  {
    name: 'GET without a body: no framing header',
    raw: request('GET', '/public/x', []),
    forwarded: [{ method: 'GET', target: '/public/x', body: '', framing: 'none', headers: { 'content-length': null, 'transfer-encoding': null } }],
  },
  {
    name: 'GET with Content-Length: 0',
    raw: request('GET', '/public/x', ['Content-Length: 0']),
    forwarded: [{ method: 'GET', target: '/public/x', body: '', framing: 'length', headers: { 'content-length': '0' } }],
  },
  {
    name: 'POST without a body or framing gets Content-Length: 0',
    raw: request('POST', '/public/x', []),
    forwarded: [{ method: 'POST', target: '/public/x', body: '', framing: 'length', headers: { 'content-length': '0', 'transfer-encoding': null } }],
  },
  {
    name: 'Expect: 100-continue with a body',
    raw: request('POST', '/public/x', ['Expect: 100-continue', cl('continued')], 'continued'),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'continued', framing: 'length', headers: { expect: null } }],
  },
  // --- forms the RFCs allow: parsed once, forwarded in wsgate's own framing --------------------
  {
    name: 'chunk extensions are dropped, the data kept',
    raw: request('POST', '/public/x', [TE], '3;foo=bar\r\nabc\r\n2;x="y"\r\nde\r\n0;last\r\n\r\n'),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'abcde', framing: 'chunked' }],
  },
  {
    name: 'request trailer fields end the body and are not forwarded',
    raw: request('POST', '/public/x', [TE], '3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n'),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'abc', framing: 'chunked', headers: { 'x-trailer': null } }],
  },
  {
    name: 'Transfer-Encoding with a tab before the value',
    raw: request('POST', '/public/x', ['Transfer-Encoding:\tchunked'], chunked('tab')),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'tab', framing: 'chunked', headers: { 'transfer-encoding': 'chunked' } }],
  },
  {
    name: 'Transfer-Encoding with spaces before the value',
    raw: request('POST', '/public/x', ['Transfer-Encoding:    chunked'], chunked('spaces')),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'spaces', framing: 'chunked', headers: { 'transfer-encoding': 'chunked' } }],
  },
  {
    name: 'Transfer-Encoding: CHUNKED in upper case',
    raw: request('POST', '/public/x', ['Transfer-Encoding: CHUNKED'], chunked('upper')),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'upper', framing: 'chunked', headers: { 'transfer-encoding': 'chunked' } }],
  },
  {
    name: 'Transfer-Encoding: ",chunked" (an empty list element is ignored)',
    raw: request('POST', '/public/x', ['Transfer-Encoding: ,chunked'], chunked('list')),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'list', framing: 'chunked', headers: { 'transfer-encoding': 'chunked' } }],
  },
  {
    name: 'Content-Length with leading zeros',
    raw: request('POST', '/public/x', ['Content-Length: 0005'], 'zeros'),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'zeros', framing: 'length', headers: { 'content-length': '5' } }],
  },
  {
    name: 'Content-Length with spaces around the value',
    raw: request('POST', '/public/x', ['Content-Length:   5  '], 'space'),
    forwarded: [{ method: 'POST', target: '/public/x', body: 'space', framing: 'length', headers: { 'content-length': '5' } }],
  },
  // --- pipelining and prefix poisoning (issue 21, step 3) --------------------------------------
  {
    name: 'pipelined: a POST with a body, then a GET',
    raw: request('POST', '/public/one', [cl('first')], 'first') + request('GET', '/public/two', []),
    forwarded: [
      { method: 'POST', target: '/public/one', body: 'first', framing: 'length' },
      { method: 'GET', target: '/public/two', body: '', framing: 'none' },
    ],
  },
  {
    name: 'pipelined: a chunked DELETE carrying a request, then a GET',
    raw: request('DELETE', '/public/one', [TE], chunked(SMUGGLED)) + request('GET', '/public/two', []),
    forwarded: [
      { method: 'DELETE', target: '/public/one', body: SMUGGLED, framing: 'chunked' },
      { method: 'GET', target: '/public/two', body: '', framing: 'none' },
    ],
  },
  ...framingNamedInConnection('prefix poisoning: an unterminated request', PREFIX),
  {
    name: 'prefix poisoning: an unterminated request in a chunked DELETE body',
    raw: request('DELETE', '/public/x', [TE], chunked(PREFIX)),
    forwarded: [{ method: 'DELETE', target: '/public/x', body: PREFIX, framing: 'chunked' }],
  },
  {
    name: 'prefix poisoning: an unterminated request in a CORS preflight body',
    raw: request('OPTIONS', '/admin/x', ['Origin: https://app.test', 'Access-Control-Request-Method: POST', TE], chunked(PREFIX)),
    forwarded: [{ method: 'OPTIONS', target: '/admin/x', body: PREFIX, framing: 'chunked' }],
  },
  // --- refused: ambiguous or unsupported framing ------------------------------------------------
  { name: 'CL.TE: Content-Length and Transfer-Encoding', raw: request('POST', '/public/x', ['Content-Length: 6', TE], '0\r\n\r\nG'), refused: 400 },
  { name: 'TE.CL: Transfer-Encoding and Content-Length', raw: request('POST', '/public/x', [TE, 'Content-Length: 4'], `5c\r\n${SMUGGLED}\r\n0\r\n\r\n`), refused: 400 },
  { name: 'CL.TE on DELETE with Connection: content-length', raw: request('DELETE', '/public/x', ['Content-Length: 5', TE, 'Connection: content-length'], '0\r\n\r\n'), refused: 400 },
  { name: 'TE.TE: Transfer-Encoding: xchunked', raw: request('POST', '/public/x', ['Transfer-Encoding: xchunked'], chunked('x')), refused: 400 },
  { name: 'TE.TE: chunked, identity (chunked not last)', raw: request('POST', '/public/x', ['Transfer-Encoding: chunked, identity'], chunked('x')), refused: 400 },
  { name: 'TE.TE: identity, chunked (a coding other than chunked)', raw: request('POST', '/public/x', ['Transfer-Encoding: identity, chunked'], chunked('x')), refused: 501 },
  { name: 'TE.TE: gzip, chunked', raw: request('POST', '/public/x', ['Transfer-Encoding: gzip, chunked'], chunked('x')), refused: 501 },
  { name: 'TE.TE: Transfer-Encoding twice (chunked applied twice)', raw: request('POST', '/public/x', [TE, TE], chunked('x')), refused: 400 },
  { name: 'TE.TE: chunked, chunked', raw: request('POST', '/public/x', ['Transfer-Encoding: chunked, chunked'], chunked('x')), refused: 400 },
  { name: 'TE.TE: a chunked line, then a gzip line', raw: request('POST', '/public/x', [TE, 'Transfer-Encoding: gzip'], chunked('x')), refused: 400 },
  { name: 'TE.TE: a gzip line, then a chunked line', raw: request('POST', '/public/x', ['Transfer-Encoding: gzip', TE], chunked('x')), refused: 501 },
  { name: 'TE.TE: a tab after chunked', raw: request('POST', '/public/x', ['Transfer-Encoding: chunked\t'], chunked('x')), refused: 400 },
  { name: 'TE.TE: a space before the colon', raw: request('POST', '/public/x', ['Transfer-Encoding : chunked'], chunked('x')), refused: 400 },
  { name: 'TE.TE: obs-fold before chunked', raw: request('POST', '/public/x', ['Transfer-Encoding:', ' chunked'], chunked('x')), refused: 400 },
  { name: 'TE.TE: a vertical tab before chunked', raw: request('POST', '/public/x', ['Transfer-Encoding:\x0bchunked'], chunked('x')), refused: 400 },
  { name: 'TE.TE: Transfer-Encoding: identity', raw: request('POST', '/public/x', ['Transfer-Encoding: identity'], 'x'), refused: 400 },
  { name: 'TE.TE: an empty Transfer-Encoding', raw: request('POST', '/public/x', ['Transfer-Encoding: '], chunked('x')), refused: 400 },
  { name: 'TE.TE: a quoted "chunked"', raw: request('POST', '/public/x', ['Transfer-Encoding: "chunked"'], chunked('x')), refused: 400 },
  { name: 'TE.TE: chunked with a parameter', raw: request('POST', '/public/x', ['Transfer-Encoding: chunked;q=1'], chunked('x')), refused: 400 },
  { name: 'Transfer-Encoding in an HTTP/1.0 request', raw: request('POST', '/public/x', [TE], chunked('x'), 'HTTP/1.0'), refused: 400 },
  { name: 'CL.CL: the same Content-Length twice', raw: request('POST', '/public/x', ['Content-Length: 3', 'Content-Length: 3'], 'abc'), refused: 400 },
  { name: 'CL.CL: two different Content-Lengths', raw: request('POST', '/public/x', ['Content-Length: 3', 'Content-Length: 40'], `abc${SMUGGLED}`), refused: 400 },
  { name: 'Content-Length as a list "3, 3"', raw: request('POST', '/public/x', ['Content-Length: 3, 3'], 'abc'), refused: 400 },
  { name: 'Content-Length with a plus sign', raw: request('POST', '/public/x', ['Content-Length: +3'], 'abc'), refused: 400 },
  { name: 'Content-Length negative', raw: request('POST', '/public/x', ['Content-Length: -1'], 'abc'), refused: 400 },
  { name: 'Content-Length in hex', raw: request('POST', '/public/x', ['Content-Length: 0x3'], 'abc'), refused: 400 },
  { name: 'Content-Length with a space inside', raw: request('POST', '/public/x', ['Content-Length: 3 4'], 'abc'), refused: 400 },
  { name: 'Content-Length empty', raw: request('POST', '/public/x', ['Content-Length: '], 'abc'), refused: 400 },
  { name: 'Content-Length overflowing 64 bits', raw: request('POST', '/public/x', ['Content-Length: 99999999999999999999999'], 'abc'), refused: 400 },
  { name: 'chunk size with 0x', raw: request('POST', '/public/x', [TE], '0x3\r\nabc\r\n0\r\n\r\n'), refused: 400 },
  { name: 'chunk size with a trailing space', raw: request('POST', '/public/x', [TE], '3 \r\nabc\r\n0\r\n\r\n'), refused: 400 },
  { name: 'chunk size negative', raw: request('POST', '/public/x', [TE], '-3\r\nabc\r\n0\r\n\r\n'), refused: 400 },
  { name: 'chunk size overflowing 64 bits', raw: request('POST', '/public/x', [TE], 'FFFFFFFFFFFFFFFFF3\r\nabc\r\n0\r\n\r\n'), refused: 400 },
  {
    name: 'Content-Length in the trailer section',
    raw: request('POST', '/public/x', [TE], '3\r\nabc\r\n0\r\nContent-Length: 99\r\n\r\n'),
    refused: 400,
    cutShort: { method: 'POST', target: '/public/x', body: 'abc' },
  },
  { name: 'bare LF after the chunk size', raw: request('POST', '/public/x', [TE], '3\nabc\n0\n\n'), refused: 400 },
  {
    name: 'chunk data longer than its size',
    raw: request('POST', '/public/x', [TE], `3\r\nabcX${SMUGGLED}0\r\n\r\n`),
    refused: 400,
    cutShort: { method: 'POST', target: '/public/x', body: 'abc' },
  },
  { name: 'bare LF line ends in the head', raw: `POST /public/x HTTP/1.1\n${HOST}\nContent-Length: 3\n\nabc`, refused: 400 },
  { name: 'bare LF after the Transfer-Encoding line', raw: `POST /public/x HTTP/1.1\r\n${HOST}\r\n${TE}\n\r\n${chunked('x')}`, refused: 400 },
  { name: 'two Host headers', raw: `POST /public/x HTTP/1.1\r\n${HOST}\r\nHost: admin.test\r\nContent-Length: 3\r\n\r\nabc`, refused: 400 },
  {
    name: 'a refused request, then a request pipelined in the same bytes: neither is forwarded',
    raw: request('POST', '/public/x', ['Transfer-Encoding: gzip, chunked'], chunked('x')) + request('GET', '/public/after', []),
    refused: 501,
  },
];
