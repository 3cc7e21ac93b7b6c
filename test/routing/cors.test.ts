// The CORS filter as the data plane applies it (src/routing/cors.ts), table-driven: the preflight
// answer and the headers added to plain responses, for the cases of the upstream HTTPRouteCORS
// conformance test and the ones it leaves open (credentials with `*`, origins that are no
// origin, Vary).

import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import type { CorsFilter } from '../../src/gatewayapi/model.js';
import { addCorsHeaders, allowedOrigin, compileCors, isPreflight, preflightHeaders } from '../../src/routing/cors.js';

const filter = (over: Partial<CorsFilter>): CorsFilter => ({
  allowOrigins: [],
  allowMethods: [],
  allowHeaders: [],
  exposeHeaders: [],
  allowCredentials: false,
  maxAgeSeconds: 5,
  ...over,
});

/** The conformance suite's /cors-1 route. */
const LISTED = filter({
  allowOrigins: ['https://www.foo.com', 'https://*.bar.com'],
  allowMethods: ['GET', 'OPTIONS'],
  allowHeaders: ['x-header-1', 'x-header-2'],
  exposeHeaders: ['x-header-3', 'x-header-4'],
  allowCredentials: true,
  maxAgeSeconds: 3600,
});
const WILDCARDS = filter({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: ['*'] });
const WILDCARDS_CREDENTIALS = { ...WILDCARDS, allowCredentials: true };
const VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

describe('isPreflight', () => {
  const cases: Array<[string, string, http.IncomingHttpHeaders, boolean]> = [
    ['OPTIONS with Origin and Access-Control-Request-Method', 'OPTIONS', { origin: 'https://a.example', 'access-control-request-method': 'GET' }, true],
    ['OPTIONS without Access-Control-Request-Method (a plain OPTIONS for the backend)', 'OPTIONS', { origin: 'https://a.example' }, false],
    ['OPTIONS without Origin', 'OPTIONS', { 'access-control-request-method': 'GET' }, false],
    ['GET with both', 'GET', { origin: 'https://a.example', 'access-control-request-method': 'GET' }, false],
  ];
  for (const [name, method, headers, want] of cases) it(name, () => assert.equal(isPreflight(method, headers), want));
});

describe('preflightHeaders', () => {
  const cases: Array<{ name: string; cors: CorsFilter; headers: http.IncomingHttpHeaders; want: Record<string, string> }> = [
    {
      name: 'an exact origin: every header, the lists as configured',
      cors: LISTED,
      headers: { origin: 'https://www.foo.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' },
      want: {
        Vary: VARY,
        'Access-Control-Allow-Origin': 'https://www.foo.com',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'GET, OPTIONS',
        'Access-Control-Allow-Headers': 'x-header-1, x-header-2',
        'Access-Control-Expose-Headers': 'x-header-3, x-header-4',
        'Access-Control-Max-Age': '3600',
      },
    },
    {
      name: 'a wildcard origin matches any number of labels on the left',
      cors: LISTED,
      headers: { origin: 'https://xpto.www.bar.com', 'access-control-request-method': 'GET' },
      want: {
        Vary: VARY,
        'Access-Control-Allow-Origin': 'https://xpto.www.bar.com',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'GET, OPTIONS',
        'Access-Control-Expose-Headers': 'x-header-3, x-header-4',
        'Access-Control-Max-Age': '3600',
      },
    },
    { name: 'an origin not listed: only Vary', cors: LISTED, headers: { origin: 'https://foobar.com', 'access-control-request-method': 'GET' }, want: { Vary: VARY } },
    { name: 'the suffix alone does not match *.bar.com', cors: LISTED, headers: { origin: 'https://bar.com', 'access-control-request-method': 'GET' }, want: { Vary: VARY } },
    { name: 'another port does not match', cors: LISTED, headers: { origin: 'https://www.foo.com:8443', 'access-control-request-method': 'GET' }, want: { Vary: VARY } },
    { name: 'no allowOrigins: no origin is allowed', cors: filter({ allowMethods: ['GET'] }), headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' }, want: { Vary: VARY } },
    {
      name: 'wildcards without credentials: the origin, method and headers asked for are echoed; expose *',
      cors: WILDCARDS,
      headers: { origin: 'https://foobar.com:12345', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-header-1,x-header-2' },
      want: {
        Vary: VARY,
        'Access-Control-Allow-Origin': 'https://foobar.com:12345',
        'Access-Control-Allow-Methods': 'PUT',
        'Access-Control-Allow-Headers': 'x-header-1, x-header-2',
        'Access-Control-Expose-Headers': '*',
        'Access-Control-Max-Age': '5',
      },
    },
    {
      name: 'wildcards with credentials: never *, not even for expose headers',
      cors: WILDCARDS_CREDENTIALS,
      headers: { origin: 'https://other.foo.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-header-1' },
      want: {
        Vary: VARY,
        'Access-Control-Allow-Origin': 'https://other.foo.com',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'PUT',
        'Access-Control-Allow-Headers': 'x-header-1',
        'Access-Control-Max-Age': '5',
      },
    },
    {
      name: 'requested header names that are no header names are not echoed',
      cors: WILDCARDS,
      headers: { origin: 'https://a.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-ok, bad name, (x)' },
      want: {
        Vary: VARY,
        'Access-Control-Allow-Origin': 'https://a.example',
        'Access-Control-Allow-Methods': 'GET',
        'Access-Control-Allow-Headers': 'x-ok',
        'Access-Control-Expose-Headers': '*',
        'Access-Control-Max-Age': '5',
      },
    },
    { name: '* and an Origin that is a joined list: no origin, nothing echoed', cors: WILDCARDS, headers: { origin: 'https://a.example, https://b.example', 'access-control-request-method': 'GET' }, want: { Vary: VARY } },
    { name: '* and Origin null (a sandboxed page): nothing echoed', cors: WILDCARDS, headers: { origin: 'null', 'access-control-request-method': 'GET' }, want: { Vary: VARY } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(preflightHeaders(compileCors(c.cors), c.headers), c.want));
});

describe('addCorsHeaders on a plain response', () => {
  const cases: Array<{ name: string; cors: CorsFilter; origin?: string; response: http.IncomingHttpHeaders; want: http.IncomingHttpHeaders }> = [
    {
      name: 'an allowed origin with credentials: origin, credentials, expose headers, Vary appended',
      cors: LISTED,
      origin: 'https://www.foo.com',
      response: { 'content-type': 'text/plain', vary: 'Accept-Encoding' },
      want: {
        'content-type': 'text/plain',
        vary: 'Accept-Encoding, Origin',
        'access-control-allow-origin': 'https://www.foo.com',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-header-3, x-header-4',
      },
    },
    { name: 'an origin not allowed: only Vary (the answer depends on the Origin)', cors: LISTED, origin: 'https://foobar.com', response: {}, want: { vary: 'Origin' } },
    { name: 'no Origin: only Vary', cors: LISTED, response: { vary: 'origin' }, want: { vary: 'origin' } },
    {
      name: 'expose * without credentials stays *',
      cors: WILDCARDS,
      origin: 'https://foobar.com',
      response: { 'x-a': '1' },
      want: { 'x-a': '1', vary: 'Origin', 'access-control-allow-origin': 'https://foobar.com', 'access-control-expose-headers': '*' },
    },
    {
      name: 'expose * with credentials: the response\'s own header names instead',
      cors: WILDCARDS_CREDENTIALS,
      origin: 'https://foobar.com',
      response: { 'x-a': '1', 'content-length': '2' },
      want: {
        'x-a': '1',
        'content-length': '2',
        vary: 'Origin',
        'access-control-allow-origin': 'https://foobar.com',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-a, content-length, vary',
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cors = compileCors(c.cors);
      const response = { ...c.response };
      addCorsHeaders(cors, allowedOrigin(cors, c.origin === undefined ? {} : { origin: c.origin }), response);
      assert.deepEqual(response, c.want);
    });
  }
});
