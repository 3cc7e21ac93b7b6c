// The HTTPRoute CORS filter through a Gateway on the real node: a `wsgate controller` on the host
// with --gateway-api on and an address pool, one framework pod (wsgate-e2e-frameworks:dev) behind
// a real Service, and node:http requests (which send Origin as given) to the Gateway's address. A
// preflight is answered by wsgate itself, so the pod's own request log (read from its IP) proves
// that none reached it; plain requests do reach it and come back with the allow headers.
//
// Needs the node of e2e/node/node.sh and the image of e2e/node/image.sh. Without the node the
// suite is skipped, unless CI=true, where that is a failure.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { plainRequest, type PlainResponse } from '../../test/helpers/http-backend.js';
import type { WsgateChild } from '../../test/helpers/wsgate-child.js';
import { apply, eventually, kubectlOk } from '../helpers/cluster.js';
import { assertFrameworksImage, frameworksApp, nodeSkip, podRequests, readyPods, type Pod } from '../helpers/framework-pods.js';
import { GATEWAY, gatewayClass, httpGateway, installGatewayCrds, programmedAddress, startGatewayController, type Condition, deleteGatewayTestObjects } from '../helpers/gateway-api.js';

const ns = `gw-cors-${process.pid}`;
const className = `wsgate-${ns}`;
// Unique per run: never the controller of another e2e file or of a parallel run.
const controllerName = `wsgate.io/e2e-cors-${process.pid}`;
// An address pool and a port no other e2e file uses.
const POOL = '127.0.77.0/24';
const PORT = 18097;
const ALLOWED = 'https://app.example';
const DISALLOWED = 'https://evil.example';

const route = {
  apiVersion: `${GATEWAY}/v1`,
  kind: 'HTTPRoute',
  metadata: { name: 'cors', namespace: ns },
  spec: {
    parentRefs: [{ name: 'gw' }],
    rules: [{
      matches: [{ path: { type: 'PathPrefix', value: '/cors' } }],
      filters: [{
        type: 'CORS',
        cors: {
          allowOrigins: [ALLOWED, 'https://*.trusted.example'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['x-requested-with', 'authorization'],
          exposeHeaders: ['x-request-id'],
          allowCredentials: true,
          maxAge: 600,
        },
      }],
      backendRefs: [{ name: 'web', port: 80 }],
    }],
  },
};

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const brief = (conditions: Condition[] | undefined) => Object.fromEntries((conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
const corsHeaders = (res: PlainResponse) => Object.keys(res.headers).filter((h) => h.startsWith('access-control-')).sort();
const preflightHeaders = (origin: string) => ({ origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-requested-with' });

describe('HTTPRoute CORS filter through a Gateway on a real node', { skip: nodeSkip }, () => {
  let wsgate: WsgateChild | undefined;
  let address = '';
  let pod: Pod;
  const request = (path: string, method: string, headers: Record<string, string>) => plainRequest(PORT, path, { host: address, method, headers });
  /** How many requests for /cors... the pod received so far. */
  const podHits = async () => (await podRequests(pod)).filter((r) => r.url.startsWith('/cors')).length;

  before(async () => {
    await assertFrameworksImage();
    await installGatewayCrds();
    await kubectlOk(['create', 'namespace', ns]);
    await apply([gatewayClass(className, controllerName), httpGateway(ns, 'gw', className, PORT), ...frameworksApp(ns, 'web', 1), route]);
    wsgate = await startGatewayController({ namespace: ns, lease: 'gw-cors', controllerName, pool: POOL });
    await wsgate.waitForLog(/became leader/, 30_000);
    address = await programmedAddress(ns, 'gw');
    [pod] = (await readyPods(ns, 'web', 1)) as [Pod];
    await eventually('the route served by the pod', async () => (await request('/cors/ready', 'GET', {})).body.toString() === `${pod.name}\n`, 240, 250);
  }, { timeout: 240_000 });

  after(async () => {
    await wsgate?.stop();
    await deleteGatewayTestObjects(ns, className);
  });

  test('the route is Accepted with ResolvedRefs', async () => {
    const o = JSON.parse(await kubectlOk(['get', 'httproute', 'cors', '-n', ns, '-o', 'json'])) as Json;
    const ours = o.status.parents.find((p: Json) => p.controllerName === controllerName);
    assert.deepEqual(brief(ours.conditions), { Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' });
  });

  test('a preflight from an allowed origin is answered 204 by wsgate with the allow headers; the pod sees none', async () => {
    const before = await podHits();
    for (const origin of [ALLOWED, 'https://a.b.trusted.example']) {
      const res = await request('/cors/hub/negotiate', 'OPTIONS', preflightHeaders(origin));
      assert.equal(res.status, 204, origin);
      assert.equal(res.headers['access-control-allow-origin'], origin);
      assert.equal(res.headers['access-control-allow-methods'], 'GET, POST');
      assert.equal(res.headers['access-control-allow-headers'], 'x-requested-with, authorization');
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.equal(res.headers['access-control-max-age'], '600');
      assert.match(String(res.headers.vary), /origin/i);
      assert.equal(res.body.length, 0);
    }
    assert.equal(await podHits(), before, 'no preflight reached the pod');
  });

  test('a preflight from another origin gets no allow headers (only Vary) and does not reach the pod either', async () => {
    const before = await podHits();
    const res = await request('/cors/hub/negotiate', 'OPTIONS', preflightHeaders(DISALLOWED));
    assert.equal(res.status, 204);
    assert.deepEqual(corsHeaders(res), []);
    assert.match(String(res.headers.vary), /origin/i);
    assert.equal(await podHits(), before);
  });

  test('a plain GET reaches the pod and carries Access-Control-Allow-Origin for an allowed origin only', async () => {
    const before = await podHits();
    const allowed = await request('/cors/data', 'GET', { origin: ALLOWED });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body.toString(), `${pod.name}\n`, 'answered by the pod');
    assert.equal(allowed.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    assert.equal(allowed.headers['access-control-expose-headers'], 'x-request-id');
    assert.match(String(allowed.headers.vary), /origin/i);
    const other = await request('/cors/data', 'GET', { origin: DISALLOWED });
    assert.equal(other.status, 200);
    assert.deepEqual(corsHeaders(other), []);
    // An OPTIONS that is no preflight (no Access-Control-Request-Method) is the backend's.
    const plainOptions = await request('/cors/data', 'OPTIONS', { origin: ALLOWED });
    assert.equal(plainOptions.body.toString(), `${pod.name}\n`);
    assert.equal(await podHits(), before + 3);
  });
});
