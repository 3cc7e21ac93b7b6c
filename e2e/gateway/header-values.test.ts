// HTTPRoute header modifier values through a real kube-apiserver: the Gateway API CRD puts no
// pattern on them, so the apiserver stores a value with CR/LF; the translator must refuse it.
// One `wsgate controller` with --gateway-api=on, driven with kubectl: the route with the
// line break gets Accepted=False/UnsupportedValue naming the field in its parent status; a
// sibling route on the same Gateway stays Accepted; fixing the value makes the route Accepted.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WsgateChild } from '../../test/helpers/wsgate-child.js';
import { apply, clusterAvailable, eventually, kubectl, kubectlOk, service } from '../helpers/cluster.js';
import { GATEWAY, gatewayClass, httpGateway, type Condition, installGatewayCrds, startGatewayController, deleteGatewayTestObjects } from '../helpers/gateway-api.js';

const ns = `gw-header-values-${process.pid}-${Date.now() % 100000}`;
const className = `wsgate-${ns}`;
// Unique per run: controllers of parallel runs never fight over objects.
const controllerName = `wsgate.io/e2e-${ns}`;
// An address pool and a port no other e2e file uses.
const POOL = '127.0.74.0/24';
const PORT = 18094;
const INJECTED = 'a\r\nSet-Cookie: session=forged';

interface RouteObj {
  metadata: { generation: number };
  status?: { parents?: Array<{ controllerName: string; conditions: Condition[] }> };
}

/** Our parent entry's conditions, once they are for the route's current generation. */
async function ourConditions(name: string): Promise<Record<string, Condition>> {
  return eventually(`HTTPRoute ${name} status for its generation`, async () => {
    const r = await kubectl(['get', 'httproute', name, '-n', ns, '-o', 'json']);
    if (r.code !== 0) return undefined;
    const o = JSON.parse(r.stdout) as RouteObj;
    const ours = o.status?.parents?.find((p) => p.controllerName === controllerName);
    if (!ours || ours.conditions.some((c) => c.observedGeneration !== o.metadata.generation)) return undefined;
    return Object.fromEntries(ours.conditions.map((c) => [c.type, c]));
  });
}

const httpRoute = (name: string, filters: object[], backendFilters: object[] = []) => ({
  apiVersion: `${GATEWAY}/v1`,
  kind: 'HTTPRoute',
  metadata: { name, namespace: ns },
  spec: {
    parentRefs: [{ name: 'gw' }],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }],
        filters,
        backendRefs: [{ name: 'chat', port: 8080, ...(backendFilters.length ? { filters: backendFilters } : {}) }],
      },
    ],
  },
});

// A harmless filter first, so the field named must carry the bad filter's own index.
const keep = { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Fine', value: 'ok' }] } };

describe('wsgate controller: HTTPRoute header values with line breaks on a real apiserver', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  let wsgate: WsgateChild | undefined;

  before(async () => {
    await installGatewayCrds();
    await kubectlOk(['create', 'namespace', ns]);
    await apply([
      gatewayClass(className, controllerName),
      httpGateway(ns, 'gw', className, PORT),
      service(ns, 'chat', [{ name: 'ws', port: 8080 }]),
      httpRoute('good', [keep]),
      httpRoute('request-value', [keep, { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'X-Tag', value: 'fine' }, { name: 'X-Evil', value: INJECTED }] } }]),
      httpRoute('response-value', [], [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Evil', value: INJECTED }] } }]),
    ]);
    wsgate = await startGatewayController({ namespace: ns, lease: 'header-values', controllerName, pool: POOL });
    await wsgate.waitForLog(/became leader/, 20_000);
  });

  after(async () => {
    await wsgate?.stop();
    await deleteGatewayTestObjects(ns, className);
  });

  test('the apiserver stores the value as sent: its CRD has no pattern on header values', async () => {
    const out = await kubectlOk(['get', 'httproute', 'request-value', '-n', ns, '-o', 'jsonpath={.spec.rules[0].filters[1].requestHeaderModifier.add[1].value}']);
    assert.equal(out, INJECTED);
  });

  test('a CR/LF value in a rule filter: Accepted=False/UnsupportedValue, the message names the field', async () => {
    const c = await ourConditions('request-value');
    assert.equal(`${c.Accepted!.status}/${c.Accepted!.reason}`, 'False/UnsupportedValue');
    assert.ok(c.Accepted!.message.includes('spec.rules[0].filters[1].requestHeaderModifier.add[1].value'), c.Accepted!.message);
  });

  test('a CR/LF value in a backendRef filter: Accepted=False/UnsupportedValue, the message names the field', async () => {
    const c = await ourConditions('response-value');
    assert.equal(`${c.Accepted!.status}/${c.Accepted!.reason}`, 'False/UnsupportedValue');
    assert.ok(c.Accepted!.message.includes('spec.rules[0].backendRefs[0].filters[0].responseHeaderModifier.set[0].value'), c.Accepted!.message);
  });

  test('the sibling route on the same Gateway is Accepted', async () => {
    const c = await ourConditions('good');
    assert.equal(`${c.Accepted!.status}/${c.Accepted!.reason}`, 'True/Accepted');
  });

  test('once the value is fixed, the route is Accepted', async () => {
    await apply([httpRoute('request-value', [keep, { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'X-Tag', value: 'fine' }, { name: 'X-Evil', value: 'harmless now' }] } }])]);
    const c = await eventually('request-value accepted', async () => {
      const now = await ourConditions('request-value');
      return now.Accepted!.status === 'True' ? now : undefined;
    });
    assert.equal(c.Accepted!.reason, 'Accepted');
  });
});
