// ingress-nginx Ingress -> WebSocketRoute, case by case, from annotations as users write them.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRoute } from '../../src/api/validate.js';
import type { WebSocketRouteSpec } from '../../src/api/types.js';
import { convertIngress } from '../../src/convert/ingress/convert.js';
import { splitSnippet } from '../../src/convert/ingress/snippets.js';
import { makeNamesUnique, routeName } from '../../src/convert/names.js';
import type { Finding } from '../../src/convert/types.js';

function ingress(annotations: Record<string, string>, spec?: object, name = 'app') {
  const body = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'web', annotations },
    spec: spec ?? {
      rules: [{ host: 'app.example.com', http: { paths: [{ path: '/ws', pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 8080 } } } }] } }],
    },
  };
  return convertIngress({ apiVersion: body.apiVersion, kind: 'Ingress', name, namespace: 'web', body }, 'in.yaml', 'default');
}

function only(annotations: Record<string, string>, spec?: object): { spec: WebSocketRouteSpec; findings: Finding[] } {
  const out = ingress(annotations, spec);
  assert.equal(out.routes.length, 1, JSON.stringify(out.findings));
  assert.deepEqual(validateRoute(out.routes[0]!.route), []);
  return { spec: out.routes[0]!.route.spec, findings: out.findings };
}

const N = 'nginx.ingress.kubernetes.io/';
const has = (findings: Finding[], level: Finding['level'], field: string | RegExp) =>
  findings.some((f) => f.level === level && (typeof field === 'string' ? f.field === field : field.test(f.field)));

describe('ingress-nginx annotations', () => {
  const cases: Array<{ name: string; annotations: Record<string, string>; expect: Partial<WebSocketRouteSpec>; unconverted?: string[] }> = [
    // The docs' WebSocket advice.
    { name: 'read/send timeouts: the larger is the idle timeout', annotations: { [N + 'proxy-read-timeout']: '3600', [N + 'proxy-send-timeout']: '600' }, expect: { timeouts: { idle: '1h' } } },
    { name: 'only the send timeout: the unset read timeout counts as 60s', annotations: { [N + 'proxy-send-timeout']: '30' }, expect: { timeouts: { idle: '1m' } } },
    { name: 'connect timeout', annotations: { [N + 'proxy-connect-timeout']: '15' }, expect: { timeouts: { connect: '15s' } } },
    { name: 'bad timeout', annotations: { [N + 'proxy-read-timeout']: 'forever' }, expect: {}, unconverted: [N + 'proxy-read-timeout'] },
    // The docs' cookie affinity example.
    {
      name: 'affinity cookie',
      annotations: { [N + 'affinity']: 'cookie', [N + 'session-cookie-name']: 'route', [N + 'session-cookie-expires']: '172800', [N + 'session-cookie-max-age']: '172800', [N + 'session-cookie-samesite']: 'strict', [N + 'session-cookie-secure']: 'true' },
      expect: { sessionAffinity: { cookie: { name: 'route', maxAge: '48h', path: '/ws', sameSite: 'Strict', secure: 'true' } } },
    },
    { name: 'affinity default cookie name', annotations: { [N + 'affinity']: 'cookie', [N + 'session-cookie-path']: '/' }, expect: { sessionAffinity: { cookie: { name: 'INGRESSCOOKIE' } } } },
    // The docs' hashing examples.
    { name: 'hash by client address', annotations: { [N + 'upstream-hash-by']: '$binary_remote_addr' }, expect: { loadBalancer: { policy: 'ConsistentHash', hashOn: { sourceIP: true } } } },
    { name: 'hash by header', annotations: { [N + 'upstream-hash-by']: '$http_x_session_id' }, expect: { loadBalancer: { policy: 'ConsistentHash', hashOn: { header: 'x-session-id' } } } },
    { name: 'hash by cookie', annotations: { [N + 'upstream-hash-by']: '$cookie_JSESSIONID' }, expect: { loadBalancer: { policy: 'ConsistentHash', hashOn: { cookie: 'JSESSIONID' } } } },
    { name: 'hash by query', annotations: { [N + 'upstream-hash-by']: '$arg_room' }, expect: { loadBalancer: { policy: 'ConsistentHash', hashOn: { query: 'room' } } } },
    { name: 'hash by request URI: not convertible', annotations: { [N + 'upstream-hash-by']: '$request_uri' }, expect: {}, unconverted: [N + 'upstream-hash-by'] },
    { name: 'cookie affinity wins over hashing (CEL)', annotations: { [N + 'affinity']: 'cookie', [N + 'upstream-hash-by']: '$remote_addr' }, expect: { sessionAffinity: { cookie: { name: 'INGRESSCOOKIE', path: '/ws' } } } },
    { name: 'load-balance ewma', annotations: { [N + 'load-balance']: 'ewma' }, expect: { loadBalancer: { policy: 'PowerOfTwoChoices' } } },
    { name: 'load-balance unknown', annotations: { [N + 'load-balance']: 'ip_hash' }, expect: {}, unconverted: [N + 'load-balance'] },
    { name: 'NGINX Inc. lb-method hash', annotations: { 'nginx.org/lb-method': 'hash $arg_user consistent' }, expect: { loadBalancer: { policy: 'ConsistentHash', hashOn: { query: 'user' } } } },
    {
      name: 'HTTPS backend with verification',
      annotations: { [N + 'backend-protocol']: 'HTTPS', [N + 'proxy-ssl-verify']: 'on', [N + 'proxy-ssl-secret']: 'web/backend-ca', [N + 'proxy-ssl-name']: 'app.web.svc' },
      expect: { backend: { service: { name: 'app', port: 8080 }, scheme: 'wss', tls: { caSecretRef: { name: 'backend-ca', key: 'ca.crt' }, serverName: 'app.web.svc' } } },
      unconverted: [N + 'proxy-ssl-secret'],
    },
    { name: 'CA Secret in another namespace', annotations: { [N + 'backend-protocol']: 'HTTPS', [N + 'proxy-ssl-verify']: 'on', [N + 'proxy-ssl-secret']: 'other/ca' }, expect: { backend: { service: { name: 'app', port: 8080 }, scheme: 'wss' } }, unconverted: [N + 'proxy-ssl-secret'] },
    { name: 'source ranges', annotations: { [N + 'whitelist-source-range']: '10.0.0.0/8', [N + 'denylist-source-range']: '1.2.3.4/32' }, expect: {}, unconverted: [N + 'denylist-source-range', N + 'whitelist-source-range'] },
    { name: 'limit-connections', annotations: { [N + 'limit-connections']: '20' }, expect: { limits: { maxConnectionsPerClient: 20 } } },
    { name: 'server-alias adds hosts', annotations: { [N + 'server-alias']: 'www.example.com, chat.example.com' }, expect: { hosts: ['app.example.com', 'www.example.com', 'chat.example.com'] } },
    { name: 'unknown annotation', annotations: { [N + 'proxy-buffering']: 'off', [N + 'some-future-annotation']: 'x' }, expect: {}, unconverted: [N + 'proxy-buffering', N + 'some-future-annotation'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { spec, findings } = only(c.annotations);
      for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(spec[k as keyof WebSocketRouteSpec], v, k);
      const unconverted = findings.filter((f) => f.level === 'unconverted').map((f) => f.field).sort();
      assert.deepEqual([...new Set(unconverted)], (c.unconverted ?? []).sort());
      // Every Ingress path served plain HTTP too.
      assert.deepEqual(spec.http?.methods, ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
    });
  }

  test('HTTPS backend without proxy-ssl-verify: verified by wsgate, with a warning', () => {
    const { spec, findings } = only({ [N + 'backend-protocol']: 'HTTPS' });
    assert.equal(spec.backend.scheme, 'wss');
    assert.equal(spec.backend.tls, undefined);
    assert.ok(has(findings, 'warning', N + 'proxy-ssl-verify'));
  });

  test('SameSite None with secure "false" keeps the route valid (CEL) and warns', () => {
    const { spec, findings } = only({ [N + 'affinity']: 'cookie', [N + 'session-cookie-samesite']: 'None', [N + 'session-cookie-secure']: 'false' });
    assert.equal(spec.sessionAffinity?.cookie.sameSite, 'None');
    assert.equal(spec.sessionAffinity?.cookie.secure, undefined);
    assert.ok(has(findings, 'warning', N + 'session-cookie-secure'));
  });

  test('snippets: the upgrade recipe is dropped, anything else reported', () => {
    assert.deepEqual(splitSnippet('proxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection "upgrade"; # ws\nproxy_http_version 1.1;'), {
      recipe: ['proxy_set_header Upgrade $http_upgrade', 'proxy_set_header Connection "upgrade"', 'proxy_http_version 1.1'],
      other: [],
    });
    assert.deepEqual(splitSnippet('if ($host = a) { return 403; }').other.length, 1);
    const recipeOnly = only({ [N + 'configuration-snippet']: 'proxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection "Upgrade";' });
    assert.ok(!has(recipeOnly.findings, 'unconverted', N + 'configuration-snippet'));
    assert.ok(has(recipeOnly.findings, 'note', N + 'configuration-snippet'));
    const other = only({ [N + 'server-snippet']: 'location /x { deny all; }' });
    assert.ok(has(other.findings, 'unconverted', N + 'server-snippet'));
  });

  test('spec.tls: the secret for the hosts it lists; other hosts get none', () => {
    const out = ingress({}, {
      tls: [{ hosts: ['a.example.com'], secretName: 'a-tls' }],
      rules: [
        { host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'a', port: { number: 80 } } } }] } },
        { host: 'b.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'b', port: { name: 'ws' } } } }] } },
      ],
    });
    assert.deepEqual(out.routes.map((r) => r.route.spec.tls), [{ secretRef: { name: 'a-tls' } }, undefined]);
    assert.deepEqual(out.routes[1]!.route.spec.backend.service, { name: 'b', port: 'ws' });
  });

  test('nginx.org/websocket-services: only the listed services', () => {
    const out = ingress({ 'nginx.org/websocket-services': 'ws-svc' }, {
      rules: [{ host: 'cafe.example.com', http: { paths: [
        { path: '/ws', pathType: 'Prefix', backend: { service: { name: 'ws-svc', port: { number: 8008 } } } },
        { path: '/tea', pathType: 'Prefix', backend: { service: { name: 'tea-svc', port: { number: 80 } } } },
      ] } }],
    });
    assert.deepEqual(out.routes.map((r) => r.route.spec.backend.service?.name), ['ws-svc']);
    assert.ok(has(out.findings, 'note', 'spec.rules[0].http.paths[1].backend'));
  });

  test('defaultBackend alone: one catch-all route without hosts', () => {
    const out = ingress({}, { defaultBackend: { service: { name: 'fallback', port: { number: 80 } } } });
    assert.equal(out.routes.length, 1);
    assert.equal(out.routes[0]!.route.spec.hosts, undefined);
    assert.equal(out.routes[0]!.route.spec.match.path, '/{rest}');
  });

  test('older apiVersions are reported, not guessed', () => {
    const body = { apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'old' }, spec: {} };
    const out = convertIngress({ apiVersion: body.apiVersion, kind: 'Ingress', name: 'old', namespace: undefined, body }, 'in.yaml', 'default');
    assert.equal(out.routes.length, 0);
    assert.ok(has(out.findings, 'unconverted', 'apiVersion'));
  });

  test('names are DNS-1123 labels, shortened with a hash, and unique', () => {
    const long = routeName(['a-very-long-ingress-name-for-the-realtime-notifications', 'notifications.eu-west-1.prod.example.com', 0]);
    assert.ok(long.length <= 63);
    assert.match(long, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.notEqual(long, routeName(['a-very-long-ingress-name-for-the-realtime-notifications', 'notifications.eu-west-1.prod.example.com', 1]));
    assert.equal(routeName(['Chat_App', '*.Example.com', 2]), 'chat-app-wildcard-example-com-2');
    const routes = [0, 1, 2].map(() => ({ route: { apiVersion: '', kind: '', metadata: { name: 'x', namespace: 'n' }, spec: {} as WebSocketRouteSpec }, source: '', object: '', origin: '', fieldComments: {} }));
    makeNamesUnique(routes);
    assert.deepEqual(routes.map((r) => r.route.metadata.name), ['x', 'x-2', 'x-3']);
  });
});

describe('the Ingress class -> spec.className', () => {
  const CLASS = 'kubernetes.io/ingress.class';
  const rules = [
    { host: 'a.example.com', http: { paths: [{ path: '/a', pathType: 'Prefix', backend: { service: { name: 'a', port: { number: 80 } } } }] } },
    { host: 'b.example.com', http: { paths: [{ path: '/b', pathType: 'Prefix', backend: { service: { name: 'b', port: { number: 80 } } } }] } },
  ];
  const convert = (annotations: Record<string, string>, ingressClassName?: string) => {
    const out = ingress(annotations, { ...(ingressClassName !== undefined ? { ingressClassName } : {}), rules });
    for (const r of out.routes) assert.deepEqual(validateRoute(r.route), [], r.route.metadata.name);
    return { classes: out.routes.map((r) => r.route.spec.className), findings: out.findings };
  };
  const classFindings = (findings: Finding[]) => findings.filter((f) => f.field === 'spec.ingressClassName' || f.field === CLASS).map((f) => `${f.level} ${f.field}`);

  test('spec.ingressClassName: every route of the Ingress gets it, first in the spec, without a finding', () => {
    const { classes, findings } = convert({}, 'internal');
    assert.deepEqual(classes, ['internal', 'internal']);
    assert.deepEqual(classFindings(findings), []);
    const out = ingress({}, { ingressClassName: 'edge.example.com', rules });
    assert.equal(Object.keys(out.routes[0]!.route.spec)[0], 'className');
    assert.equal(out.routes[0]!.route.spec.className, 'edge.example.com');
  });

  test('the kubernetes.io/ingress.class annotation, when the field is not set', () => {
    const { classes, findings } = convert({ [CLASS]: 'external' });
    assert.deepEqual(classes, ['external', 'external']);
    assert.deepEqual(classFindings(findings), []);
  });

  test('no class: routes without spec.className (the default install serves them), no finding', () => {
    const { classes, findings } = convert({});
    assert.deepEqual(classes, [undefined, undefined]);
    assert.deepEqual(classFindings(findings), []);
    assert.deepEqual(convert({ [CLASS]: '' }).classes, [undefined, undefined]);
  });

  test('field and annotation disagree: the field, with a warning on the annotation; agreeing, no finding', () => {
    const differ = convert({ [CLASS]: 'external' }, 'internal');
    assert.deepEqual(differ.classes, ['internal', 'internal']);
    assert.deepEqual(classFindings(differ.findings), [`warning ${CLASS}`]);
    assert.deepEqual(classFindings(convert({ [CLASS]: 'internal' }, 'internal').findings), []);
  });

  test('another controller\'s class (nginx, traefik, alb, ...): kept, with a warning naming --class and the default class', () => {
    for (const name of ['nginx', 'traefik', 'alb', 'gce']) {
      const { classes, findings } = convert({}, name);
      assert.deepEqual(classes, [name, name]);
      assert.deepEqual(classFindings(findings), ['warning spec.ingressClassName'], name);
      const message = findings.find((f) => f.field === 'spec.ingressClassName')!.message;
      assert.match(message, new RegExp(`--class ${name}\\b`));
      assert.match(message, /default class "wsgate"/);
    }
    assert.deepEqual(classFindings(convert({ [CLASS]: 'nginx' }).findings), [`warning ${CLASS}`]);
  });

  test('an annotation that cannot be a class name: reported as not converted, no spec.className written', () => {
    for (const bad of ['Nginx', 'my_class', '-x', 'a'.repeat(254)]) {
      const { classes, findings } = convert({ [CLASS]: bad });
      assert.deepEqual(classes, [undefined, undefined], bad);
      assert.deepEqual(classFindings(findings), [`unconverted ${CLASS}`], bad);
    }
  });
});
