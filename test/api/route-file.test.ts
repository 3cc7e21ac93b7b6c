import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem, parseRouteFile, type FileProblem } from '../../src/api/route-file.js';

const ROUTE = (name: string, extra = '') => `apiVersion: wsgate.io/v1alpha1
kind: WebSocketRoute
metadata:
  name: ${name}
spec:
  match:
    path: /gateway/{catchAll}
  backend:
    endpoints:
      - host: 10.0.0.7
        port: 5001
    path: /{catchAll}
${extra}`;

const brief = (problems: FileProblem[]) => problems.map((p) => `${p.document}:${p.line} ${p.field}`);

describe('parseRouteFile', () => {
  it('reads a valid multi-document file', () => {
    const text = `${ROUTE('a')}---\n${ROUTE('b')}`;
    const { routes, problems } = parseRouteFile(text, 'routes.yaml');
    assert.deepEqual(problems, []);
    assert.deepEqual(routes.map((r) => `${r.metadata.namespace}/${r.metadata.name}`), ['default/a', 'default/b']);
    assert.equal(routes[0]!.spec.backend.endpoints![0]!.port, 5001);
  });

  it('keeps an explicit namespace and drops null fields', () => {
    const text = ROUTE('a', '  timeouts:\n').replace('  name: a', '  name: a\n  namespace: chat');
    const { routes, problems } = parseRouteFile(text, 'f.yaml');
    assert.deepEqual(problems, []);
    assert.equal(routes[0]!.metadata.namespace, 'chat');
    assert.equal('timeouts' in routes[0]!.spec, false);
  });

  it('skips empty and comment-only documents but counts them', () => {
    const text = `---\n# nothing here\n---\n${ROUTE('a')}---\n---\n${ROUTE('b', '  bogus: 1\n')}`;
    const { routes, problems } = parseRouteFile(text, 'f.yaml');
    assert.deepEqual(routes.map((r) => r.metadata.name), ['a']);
    assert.deepEqual(brief(problems), ['4:30 spec.bogus']);
  });

  it('returns nothing for an empty file', () => {
    assert.deepEqual(parseRouteFile('', 'f.yaml'), { routes: [], problems: [] });
    assert.deepEqual(parseRouteFile('# just a comment\n', 'f.yaml'), { routes: [], problems: [] });
  });

  it('reports the line of a YAML syntax error', () => {
    const text = `${ROUTE('a')}---\napiVersion: wsgate.io/v1alpha1\nkind: WebSocketRoute\nspec:\n  hosts: [a.com, b.com\n  match: {}\n`;
    const { routes, problems } = parseRouteFile(text, 'f.yaml');
    assert.deepEqual(routes.map((r) => r.metadata.name), ['a']);
    assert.ok(problems.length >= 1);
    assert.equal(problems[0]!.document, 2);
    assert.equal(problems[0]!.field, '(yaml)');
    assert.ok(problems[0]!.line >= 17 && problems[0]!.line <= 18, `line ${problems[0]!.line}`);
    assert.ok(!problems[0]!.reason.includes('\n'));
  });

  it('reports duplicate keys as a YAML problem', () => {
    const { problems } = parseRouteFile(ROUTE('a', '  timeouts: {}\n  timeouts: {}\n'), 'f.yaml');
    assert.deepEqual(brief(problems), ['1:14 (yaml)']);
    assert.match(problems[0]!.reason, /unique/);
  });

  it('maps each problem of a bad second document to its line', () => {
    const bad = `apiVersion: wsgate.io/v1alpha1
kind: WebSocketRoute
metadata: { name: bad }
spec:
  hosts: [Chat.example.com]
  match: { path: /x }
  backend:
    endpoints:
      - { host: 10.0.0.1, port: 80 }
      - host: 10.0.0.2
        port: 99999
    scheme: tcp
  loadBalancer:
    policy: ConsistentHash
  requestHeaders:
    set:
      X Bad: y
`;
    const { routes, problems } = parseRouteFile(`${ROUTE('good')}---\n${bad}`, 'routes.yaml');
    assert.deepEqual(routes.map((r) => r.metadata.name), ['good']);
    // Document 2 starts on line 14.
    assert.deepEqual(brief(problems), [
      '2:18 spec.hosts[0]',
      '2:24 spec.backend.endpoints[1].port',
      '2:25 spec.backend.scheme',
      '2:26 spec.loadBalancer.hashOn',
      '2:30 spec.requestHeaders.set["X Bad"]',
    ]);
    assert.equal(
      formatProblem(problems[0]!),
      "routes.yaml:18: document 2: spec.hosts[0]: must be a lowercase DNS name, optionally starting with '*.'",
    );
  });

  it('puts a missing field on the line of its nearest parent', () => {
    const text = ROUTE('a').replace('    path: /gateway/{catchAll}\n', '    subprotocols: [x]\n');
    const { problems } = parseRouteFile(text, 'f.yaml');
    assert.deepEqual(brief(problems), ['1:6 spec.match.path']);
  });

  it('refuses other kinds instead of ignoring them', () => {
    const { routes, problems } = parseRouteFile('apiVersion: v1\nkind: Service\nmetadata: { name: a }\n', 'f.yaml');
    assert.deepEqual(routes, []);
    assert.deepEqual(problems, [{ file: 'f.yaml', document: 1, line: 2, field: 'kind', reason: 'kind Service is not WebSocketRoute' }]);
  });

  it('refuses a document that is not a mapping', () => {
    const { problems } = parseRouteFile(`${ROUTE('a')}---\n- just\n- a list\n`, 'f.yaml');
    assert.deepEqual(brief(problems), ['2:14 (root)']);
  });

  it('refuses the same namespace/name twice', () => {
    const text = `${ROUTE('a')}---\n${ROUTE('a')}---\n${ROUTE('a').replace('  name: a', '  name: a\n  namespace: other')}`;
    const { routes, problems } = parseRouteFile(text, 'f.yaml');
    assert.deepEqual(routes.map((r) => `${r.metadata.namespace}/${r.metadata.name}`), ['default/a', 'other/a']);
    assert.deepEqual(problems, [
      { file: 'f.yaml', document: 2, line: 17, field: 'metadata.name', reason: 'duplicates route default/a from document 1' },
    ]);
  });

  it('follows aliases when mapping lines', () => {
    const text = ROUTE('a', '  requestHeaders:\n    set: &h\n      X-A: "1"\n    add: *h\n');
    const { problems } = parseRouteFile(text, 'f.yaml');
    // add["X-A"] is reached through the alias, so its line is the anchored entry's.
    assert.deepEqual(brief(problems), ['1:15 spec.requestHeaders.add["X-A"]']);
  });

  it('formats a problem as file:line: document: field: reason', () => {
    const p: FileProblem = { file: 'r.yaml', document: 2, line: 7, field: 'spec.match.path', reason: 'is required' };
    assert.equal(formatProblem(p), 'r.yaml:7: document 2: spec.match.path: is required');
  });
});
