// make chart-test: the Helm chart (charts/wsgate), the plain manifests rendered from it and the
// container image layout, checked offline with helm itself and then against the real e2e
// control plane: `helm install`, a server-side dry run of manifests/install.yaml, and
// `wsgate controller` run outside the cluster as the chart's ServiceAccount (impersonated),
// which must serve routes, write status, hold the Lease and create events with exactly the
// RBAC the chart grants, and nothing more; and two releases of different route classes in
// one cluster, each serving and writing status only for its own routes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { connect, expectStatus } from '../../test/helpers/ws-client.js';
import { repoRoot, startWsgate, tempDir, type WsgateChild } from '../../test/helpers/wsgate-child.js';
import { NETNS, startPodBackends, type PodBackend } from '../helpers/backends.js';
import { clusterAvailable, endpointSlice, eventually, kubeconfig, kubectlPath, service, wsRoute } from '../helpers/cluster.js';

const chartDir = path.join(repoRoot, 'charts/wsgate');
/** wsgate's own CRDs: crds/*.yaml, copied into the chart's crds/ (always installed). */
const CRD_FILES = ['wsgate.io_websocketpolicies.yaml', 'wsgate.io_websocketroutes.yaml'];
/** The vendored Gateway API CRDs, rendered from files/gateway-api/ with gatewayAPI.installCRDs. */
const GATEWAY_CRD_DIR = 'crds/gateway-api';
/** The experimental channel of the same release, from files/gateway-api-experimental/ with gatewayAPI.channel=experimental. */
const GATEWAY_EXPERIMENTAL_CRD_DIR = 'crds/gateway-api-experimental';

// ---------------------------------------------------------------------------------------------
// processes

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs); never rejects. */
function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { cwd: opts.cwd ?? repoRoot, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) + (err && code === -1 ? `\n${err.message}` : '') });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

async function ok(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

let helmBin = '';
let helmHome = '';
/** helm with its config, cache and data in a throwaway directory. */
function helm(args: string[], opts: { timeoutMs?: number } = {}): Promise<Result> {
  return run(helmBin, args, {
    timeoutMs: opts.timeoutMs,
    env: {
      ...process.env,
      HELM_CONFIG_HOME: path.join(helmHome, 'config'),
      HELM_CACHE_HOME: path.join(helmHome, 'cache'),
      HELM_DATA_HOME: path.join(helmHome, 'data'),
    },
  });
}

after(() => {
  if (helmHome) fs.rmSync(helmHome, { recursive: true, force: true });
});

async function setupHelm(): Promise<void> {
  if (helmBin) return;
  const out = await ok('bash', [path.join(repoRoot, 'e2e/chart/install-helm.sh')], { timeoutMs: 15 * 60_000 });
  helmBin = out.trim().split('\n').pop()!;
  helmHome = tempDir('wsgate-helm-');
}

// ---------------------------------------------------------------------------------------------
// rendered objects

// Parsed YAML/JSON from helm and kubectl, read field by field in assertions.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface K8sObject {
  apiVersion: string;
  kind: string;
  // Labels and annotations are read only where the chart sets them (a miss fails the test).
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> };
  [key: string]: Json;
}

function parseObjects(text: string): K8sObject[] {
  const docs = parseAllDocuments(text);
  const objects: K8sObject[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`invalid YAML: ${d.errors[0]!.message}`);
    const o = d.toJSON() as K8sObject | null;
    if (o) objects.push(o);
  }
  return objects;
}

async function render(values: string[] = [], sets: string[] = [], extra: string[] = []): Promise<K8sObject[]> {
  const args = ['template', 'wsg', chartDir, '--namespace', 'edge'];
  for (const v of values) args.push('-f', path.join(repoRoot, 'e2e/chart', v));
  for (const s of sets) args.push('--set', s);
  const r = await helm([...args, ...extra]);
  assert.equal(r.code, 0, `helm template ${values.join(' ')} ${sets.join(' ')} failed:\n${r.stderr}`);
  return parseObjects(r.stdout);
}

function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` ${name}` : ''}, got ${found.map((o) => o.metadata.name).join(', ') || 'none'}`);
  return found[0]!;
}

/** Split mode's two Deployments: the data plane (<fullname>) and the controller (<fullname>-controller). */
function split(objects: K8sObject[]): { proxy: K8sObject; controller: K8sObject } {
  return { proxy: one(objects, 'Deployment', 'wsg-wsgate'), controller: one(objects, 'Deployment', 'wsg-wsgate-controller') };
}

function kinds(objects: K8sObject[]): string[] {
  return [...new Set(objects.map((o) => o.kind))].sort();
}

function container(deploy: K8sObject): Json {
  return deploy.spec.template.spec.containers[0];
}

/** The Deployment's args as a map flag -> value ("" for a bare flag); `command`: the wsgate subcommand expected. */
function flags(deploy: K8sObject, command: 'controller' | 'proxy' = 'controller'): Map<string, string> {
  const args = container(deploy).args as string[];
  assert.equal(args[0], command);
  const m = new Map<string, string>();
  for (const a of args.slice(1)) {
    const i = a.indexOf('=');
    m.set(i < 0 ? a : a.slice(0, i), i < 0 ? '' : a.slice(i + 1));
  }
  return m;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Rules flattened to "group/resource:verb" (with "@name" when limited to names). */
function grants(rules: Rule[]): string[] {
  const out: string[] = [];
  for (const r of rules) {
    for (const g of r.apiGroups ?? [''])
      for (const res of r.resources ?? [])
        for (const v of r.verbs) out.push(`${g || 'core'}/${res}:${v}${r.resourceNames ? `@${r.resourceNames.join(',')}` : ''}`);
  }
  return out.sort();
}

const WATCH_GRANTS = [
  'core/events:create',
  'core/events:patch',
  'core/services:get',
  'core/services:list',
  'core/services:watch',
  'discovery.k8s.io/endpointslices:get',
  'discovery.k8s.io/endpointslices:list',
  'discovery.k8s.io/endpointslices:watch',
  'wsgate.io/websocketroutes/status:get',
  'wsgate.io/websocketroutes/status:patch',
  'wsgate.io/websocketroutes/status:update',
  'wsgate.io/websocketroutes:get',
  'wsgate.io/websocketroutes:list',
  'wsgate.io/websocketroutes:watch',
];
const SECRET_GRANTS = ['core/secrets:get', 'core/secrets:list', 'core/secrets:watch'];
// gatewayAPI.enabled: the namespaced kinds (cluster-wide, or per watched namespace) ...
const GATEWAY_WATCH_GRANTS = [
  // The CA bundles of BackendTLSPolicies and of Gateways' client certificate validation (spec.tls.frontend).
  'core/configmaps:get',
  'core/configmaps:list',
  'core/configmaps:watch',
  'gateway.networking.k8s.io/backendtlspolicies/status:get',
  'gateway.networking.k8s.io/backendtlspolicies/status:patch',
  'gateway.networking.k8s.io/backendtlspolicies/status:update',
  'gateway.networking.k8s.io/backendtlspolicies:get',
  'gateway.networking.k8s.io/backendtlspolicies:list',
  'gateway.networking.k8s.io/backendtlspolicies:watch',
  'gateway.networking.k8s.io/gateways/status:get',
  'gateway.networking.k8s.io/gateways/status:patch',
  'gateway.networking.k8s.io/gateways/status:update',
  'gateway.networking.k8s.io/gateways:get',
  'gateway.networking.k8s.io/gateways:list',
  'gateway.networking.k8s.io/gateways:watch',
  'gateway.networking.k8s.io/httproutes/status:get',
  'gateway.networking.k8s.io/httproutes/status:patch',
  'gateway.networking.k8s.io/httproutes/status:update',
  'gateway.networking.k8s.io/httproutes:get',
  'gateway.networking.k8s.io/httproutes:list',
  'gateway.networking.k8s.io/httproutes:watch',
  'gateway.networking.k8s.io/listenersets/status:get',
  'gateway.networking.k8s.io/listenersets/status:patch',
  'gateway.networking.k8s.io/listenersets/status:update',
  'gateway.networking.k8s.io/listenersets:get',
  'gateway.networking.k8s.io/listenersets:list',
  'gateway.networking.k8s.io/listenersets:watch',
  'gateway.networking.k8s.io/referencegrants:get',
  'gateway.networking.k8s.io/referencegrants:list',
  'gateway.networking.k8s.io/referencegrants:watch',
  'wsgate.io/websocketpolicies/status:get',
  'wsgate.io/websocketpolicies/status:patch',
  'wsgate.io/websocketpolicies/status:update',
  'wsgate.io/websocketpolicies:get',
  'wsgate.io/websocketpolicies:list',
  'wsgate.io/websocketpolicies:watch',
];
// ... and the cluster-scoped ones, always cluster-wide.
const GATEWAY_CLUSTER_GRANTS = [
  'core/namespaces:get',
  'core/namespaces:list',
  'core/namespaces:watch',
  'gateway.networking.k8s.io/gatewayclasses/status:get',
  'gateway.networking.k8s.io/gatewayclasses/status:patch',
  'gateway.networking.k8s.io/gatewayclasses/status:update',
  'gateway.networking.k8s.io/gatewayclasses:get',
  'gateway.networking.k8s.io/gatewayclasses:list',
  'gateway.networking.k8s.io/gatewayclasses:watch',
];

// ---------------------------------------------------------------------------------------------
// offline: helm lint / template / schema, the CRD copy, manifests/install.yaml, the image layout

// A cold helm build (first run on a machine) takes a few minutes: more than a test's timeout.
const HELM_SETUP = { timeout: 20 * 60_000 };

describe('chart, offline', () => {
  before(setupHelm, HELM_SETUP);

  test('the chart\'s CRDs are byte-identical copies of crds/ (and of crds/gateway-api/)', () => {
    const yamlFiles = (dir: string) => fs.readdirSync(path.join(repoRoot, dir)).filter((f) => f.endsWith('.yaml')).sort();
    assert.deepEqual(yamlFiles('crds'), CRD_FILES);
    const copies = [['crds', 'charts/wsgate/crds'], [GATEWAY_CRD_DIR, 'charts/wsgate/files/gateway-api'], [GATEWAY_EXPERIMENTAL_CRD_DIR, 'charts/wsgate/files/gateway-api-experimental']] as const;
    for (const [from, to] of copies) {
      assert.deepEqual(fs.readdirSync(path.join(repoRoot, to)).sort(), yamlFiles(from), `${to} holds the files of ${from}: run \`make manifests\``);
      for (const f of yamlFiles(from)) {
        const source = fs.readFileSync(path.join(repoRoot, from, f));
        const copy = fs.readFileSync(path.join(repoRoot, to, f));
        assert.ok(source.equals(copy), `${to}/${f} differs from ${from}/${f}: run \`make manifests\``);
      }
    }
  });

  test('gatewayAPI.installCRDs renders the vendored Gateway API CRDs of gatewayAPI.channel (standard by default, or experimental) as released (kept on uninstall); off by default', async () => {
    assert.equal(parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')).gatewayAPI.installCRDs, false);
    const isGatewayApi = (o: K8sObject) => o.metadata.annotations?.['gateway.networking.k8s.io/bundle-version'] !== undefined;
    assert.deepEqual((await render([], [], ['--include-crds'])).filter(isGatewayApi), [], 'nothing of Gateway API by default');
    assert.equal(parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')).gatewayAPI.channel, 'standard');
    const channels = [
      [GATEWAY_CRD_DIR, []],
      [GATEWAY_EXPERIMENTAL_CRD_DIR, ['gatewayAPI.channel=experimental']],
    ] as const;
    for (const [dir, set] of channels) {
      const rendered = (await render([], ['gatewayAPI.installCRDs=true', ...set])).filter(isGatewayApi);
      const vendored = fs
        .readdirSync(path.join(repoRoot, dir))
        .sort()
        .flatMap((f) => parseObjects(fs.readFileSync(path.join(repoRoot, dir, f), 'utf8')));
      assert.ok(vendored.length >= 5, 'GatewayClass, Gateway, HTTPRoute, ReferenceGrant, ...');
      assert.deepEqual(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort(), vendored.map((o) => `${o.kind}/${o.metadata.name}`).sort(), dir);
      for (const r of rendered) {
        assert.equal(r.metadata.annotations['helm.sh/resource-policy'], 'keep', `${r.kind} ${r.metadata.name} survives helm uninstall`);
        const { 'helm.sh/resource-policy': _keep, ...annotations } = r.metadata.annotations;
        const v = vendored.find((o) => o.kind === r.kind && o.metadata.name === r.metadata.name)!;
        assert.deepEqual({ ...r, metadata: { ...r.metadata, annotations } }, v, `${r.kind} ${r.metadata.name} is rendered as released (${dir})`);
      }
    }
    const experimental = (await render([], ['gatewayAPI.installCRDs=true', 'gatewayAPI.channel=experimental'])).find((o) => o.kind === 'CustomResourceDefinition' && o.metadata.name === 'httproutes.gateway.networking.k8s.io')!;
    assert.equal(experimental.metadata.annotations['gateway.networking.k8s.io/channel'], 'experimental');
    const bad = await helm(['template', 'wsg', chartDir, '--set', 'gatewayAPI.channel=nightly']);
    assert.notEqual(bad.code, 0, 'the schema allows only standard and experimental');
  });

  test('helm lint --strict passes with the default and every test values file', async () => {
    const files = ['', ...valuesFiles()];
    for (const f of files) {
      const args = ['lint', '--strict', chartDir, ...(f ? ['-f', path.join(repoRoot, 'e2e/chart', f)] : [])];
      const r = await helm(args);
      assert.equal(r.code, 0, `helm ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(r.stdout + r.stderr, /\[(WARNING|ERROR)\]|funcMap fail/, `helm ${args.join(' ')}`);
    }
  });

  test('default values (split mode): a data plane with no API access and no token, a controller with the RBAC, certificates of the install', async () => {
    const objs = await render([], [], ['--include-crds']);
    assert.deepEqual(kinds(objs), [
      'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment', 'PodDisruptionBudget',
      'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount',
    ]);
    const { proxy, controller } = split(objs);

    // The data plane: `wsgate proxy`, fed by the controller Service over mutual TLS.
    assert.equal(proxy.spec.replicas, 2);
    const pf = flags(proxy, 'proxy');
    assert.equal(pf.get('--controller'), '$(WSG_WSGATE_CONTROLLER_SERVICE_HOST):9443', "the Service's cluster IP (the kubelet expands Service variables): no DNS needed");
    assert.equal(pf.get('--controller-name'), 'wsg-wsgate-controller.edge.svc', 'the name the controller certificate must carry');
    assert.equal(pf.get('--snapshot-tls-dir'), '/etc/wsgate/stream');
    assert.equal(pf.get('--controller-timeout'), '15s', 'three heartbeats');
    assert.equal(pf.get('--listen'), '0.0.0.0:8080');
    assert.equal(pf.get('--admin-listen'), '0.0.0.0:9090');
    assert.equal(pf.get('--shutdown-grace'), '25000');
    for (const absent of ['--affinity-key-file', '--affinity-key-secret']) assert.ok(!pf.has(absent), `no ${absent} on the data plane: its key comes over the stream`);
    for (const absent of ['--no-proxy', '--leader-election-id', '--debounce', '--gateway-api', '--watch-namespaces', '--kubeconfig']) assert.ok(!pf.has(absent), `no ${absent} on the data plane`);
    const pod = proxy.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'wsg-wsgate');
    assert.equal(pod.automountServiceAccountToken, false, 'no token mounted');
    assert.equal(one(objs, 'ServiceAccount', 'wsg-wsgate').automountServiceAccountToken, false);
    const pc = container(proxy);
    assert.deepEqual(pc.env.map((e: Json) => e.name), ['WSGATE_WORKERS']);
    assert.deepEqual(pc.ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`), ['proxy:8080', 'admin:9090']);
    assert.deepEqual(pc.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
    assert.equal(pc.lifecycle.preStop.sleep.seconds, 5);
    assert.deepEqual(pod.volumes.find((v: Json) => v.name === 'stream-tls').secret.secretName, 'wsg-wsgate-stream-proxy');
    const selector = proxy.spec.selector.matchLabels;
    assert.deepEqual(selector, { 'app.kubernetes.io/name': 'wsgate', 'app.kubernetes.io/instance': 'wsg' }, 'unchanged: a Deployment selector cannot change on upgrade');
    assert.deepEqual(one(objs, 'Service', 'wsg-wsgate').spec.selector, selector);
    assert.deepEqual(one(objs, 'PodDisruptionBudget').spec.selector.matchLabels, selector);

    // The controller: `wsgate controller --no-proxy`, the only holder of the RBAC.
    assert.equal(controller.spec.replicas, 2);
    const cf = flags(controller);
    assert.ok(cf.has('--no-proxy'));
    assert.equal(cf.get('--snapshot-listen'), '0.0.0.0:9443');
    assert.equal(cf.get('--snapshot-tls-dir'), '/etc/wsgate/stream');
    assert.equal(cf.get('--snapshot-heartbeat'), '5s');
    assert.equal(cf.get('--leader-election-id'), 'wsg-wsgate-leader');
    assert.equal(cf.get('--listen'), '0.0.0.0:8080', "the proxies' listener, for Gateway API ports");
    for (const absent of ['--affinity-key-file', '--workers', '--shutdown-grace']) assert.ok(!cf.has(absent), `no ${absent} on the controller`);
    // The affinity key: read (and created when missing) by the controller through the API.
    assert.equal(cf.get('--affinity-key-secret'), 'edge/wsg-wsgate-affinity-key');
    assert.ok(cf.has('--affinity-key-create'));
    const cpod = controller.spec.template.spec;
    assert.equal(cpod.serviceAccountName, 'wsg-wsgate-controller');
    assert.equal(cpod.automountServiceAccountToken, true);
    assert.deepEqual(cpod.volumes.find((v: Json) => v.name === 'stream-tls').secret.secretName, 'wsg-wsgate-stream-controller');
    assert.deepEqual(container(controller).ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`), ['snapshots:9443', 'admin:9090']);
    const cselector = controller.spec.selector.matchLabels;
    assert.deepEqual(cselector, { 'app.kubernetes.io/name': 'wsgate-controller', 'app.kubernetes.io/instance': 'wsg' });
    const controllerPodLabels = controller.spec.template.metadata.labels;
    assert.ok(Object.entries(selector).some(([k, v]) => controllerPodLabels[k] !== v), "the data plane's Service never selects a controller pod");
    const csvc = one(objs, 'Service', 'wsg-wsgate-controller');
    assert.equal(csvc.spec.type, 'ClusterIP');
    assert.deepEqual(csvc.spec.selector, cselector);
    assert.deepEqual(csvc.spec.ports.map((p: Json) => `${p.name}:${p.port}->${p.targetPort}`), ['snapshots:9443->snapshots', 'admin:9090->admin']);

    // RBAC: bound to the controller's ServiceAccount only.
    assert.deepEqual(grants(one(objs, 'ClusterRole').rules), [...WATCH_GRANTS, ...SECRET_GRANTS].sort());
    const bindings = objs.filter((o) => o.kind.endsWith('RoleBinding'));
    assert.equal(bindings.length, 3, 'the ClusterRole, the leader election Role and the affinity key Role');
    for (const b of bindings) assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'wsg-wsgate-controller', namespace: 'edge' }], b.metadata.name);

    // The stream's certificates: one CA of this install, a server certificate naming the
    // controller Service, a client certificate named wsgate-proxy; each pod gets only its own key.
    const cs = one(objs, 'Secret', 'wsg-wsgate-stream-controller');
    const ps = one(objs, 'Secret', 'wsg-wsgate-stream-proxy');
    const pem = (o: K8sObject, k: string) => Buffer.from(o.data[k], 'base64');
    assert.deepEqual([cs.type, ps.type], ['kubernetes.io/tls', 'kubernetes.io/tls']);
    assert.deepEqual(pem(cs, 'ca.crt'), pem(ps, 'ca.crt'));
    const ca = new X509Certificate(pem(cs, 'ca.crt'));
    assert.equal(ca.ca, true);
    const server = new X509Certificate(pem(cs, 'tls.crt'));
    const client = new X509Certificate(pem(ps, 'tls.crt'));
    assert.ok(server.verify(ca.publicKey) && client.verify(ca.publicKey), 'both signed by the CA');
    assert.ok(server.subjectAltName!.split(', ').includes('DNS:wsg-wsgate-controller.edge.svc'), server.subjectAltName);
    assert.equal(client.subjectAltName, 'DNS:wsgate-proxy');
    assert.ok(server.checkPrivateKey(createPrivateKey(pem(cs, 'tls.key'))) && client.checkPrivateKey(createPrivateKey(pem(ps, 'tls.key'))));
    const again = await render();
    assert.notDeepEqual(pem(one(again, 'Secret', 'wsg-wsgate-stream-proxy'), 'ca.crt'), pem(ps, 'ca.crt'), 'a CA per install');
  });

  test('streamTls.source=certManager: a CA Issuer of the install and Certificates into the same Secrets', async () => {
    const objs = await render([], ['streamTls.source=certManager']);
    assert.equal(objs.filter((o) => o.kind === 'Secret' && o.metadata.name.includes('-stream-')).length, 0, 'no key rendered');
    assert.deepEqual(objs.filter((o) => o.kind === 'Issuer').map((o) => Object.keys(o.spec)[0]), ['selfSigned', 'ca']);
    const certs = new Map(objs.filter((o) => o.kind === 'Certificate').map((o) => [o.metadata.name, o.spec]));
    assert.equal(certs.get('wsg-wsgate-stream-ca').isCA, true);
    const server = certs.get('wsg-wsgate-stream-controller');
    assert.equal(server.secretName, 'wsg-wsgate-stream-controller');
    assert.ok(server.dnsNames.includes('wsg-wsgate-controller.edge.svc'));
    assert.deepEqual(server.usages, ['server auth']);
    assert.deepEqual([certs.get('wsg-wsgate-stream-proxy').dnsNames, certs.get('wsg-wsgate-stream-proxy').usages], [['wsgate-proxy'], ['client auth']]);
    assert.equal(server.issuerRef.name, 'wsg-wsgate-stream-ca');
  });

  test('the affinity key: rendered by no template and looked up by none (GitOps renders the same bytes twice); a narrow Role for the controller', async () => {
    const templates = path.join(chartDir, 'templates');
    const withLookup = fs.readdirSync(templates).filter((f) => /\blookup\b/.test(fs.readFileSync(path.join(templates, f), 'utf8').replace(/{{-? *\/\*[\s\S]*?\*\/ *-?}}/g, '')));
    assert.deepEqual(withLookup, ['secret-stream-tls.yaml'], 'only the helm-generated stream certificates still use lookup');
    // `helm template` as Argo CD runs it: twice, the same objects (the stream certificates of
    // streamTls.source helm aside, which GitOps installs take from cert-manager or existingSecrets).
    const stable = async () => (await render([], ['streamTls.source=certManager'])).map((o) => stringify(o)).join('---\n');
    assert.equal(await stable(), await stable());

    const objs = await render();
    assert.ok(!objs.some((o) => o.kind === 'Secret' && o.metadata.name.includes('affinity')), 'no key Secret rendered');
    const role = one(objs, 'Role', 'wsg-wsgate-affinity-key');
    assert.equal(role.metadata.namespace, 'edge');
    // create cannot be limited by name (the authorizer sees no object name on a create); the rest is.
    assert.deepEqual(grants(role.rules), [
      'core/secrets:create',
      'core/secrets:get@wsg-wsgate-affinity-key',
      'core/secrets:list@wsg-wsgate-affinity-key',
      'core/secrets:watch@wsg-wsgate-affinity-key',
    ]);
    const binding = one(objs, 'RoleBinding', 'wsg-wsgate-affinity-key');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'wsg-wsgate-affinity-key' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'wsg-wsgate-controller', namespace: 'edge' }]);

    // An existing Secret (a SealedSecret, External Secrets): read and watched only, never created.
    const existing = await render([], ['sessionAffinityKey.existingSecret=edge-key', 'sessionAffinityKey.grace=15m']);
    assert.deepEqual(grants(one(existing, 'Role', 'wsg-wsgate-affinity-key').rules), ['core/secrets:get@edge-key', 'core/secrets:list@edge-key', 'core/secrets:watch@edge-key']);
    const { proxy, controller } = split(existing);
    const cf = flags(controller);
    assert.equal(cf.get('--affinity-key-secret'), 'edge/edge-key');
    assert.ok(!cf.has('--affinity-key-create'));
    assert.equal(flags(proxy, 'proxy').get('--affinity-key-grace'), '15m', 'the proxies keep the previous key for the grace period');
    assert.ok(!cf.has('--affinity-key-grace'));

    // Neither: each process its own random key, no Role, no flags.
    const none = await render([], ['sessionAffinityKey.create=false']);
    assert.ok(!none.some((o) => o.metadata.name === 'wsg-wsgate-affinity-key'));
    assert.ok(!flags(split(none).controller).has('--affinity-key-secret'));
  });

  test('streamTls.source existing: no stream certificate rendered (no lookup), the named Secrets mounted; renders are byte-identical', async () => {
    const sets = ['streamTls.source=existing', 'streamTls.existingSecrets.controller=ctl-stream', 'streamTls.existingSecrets.proxy=proxy-stream'];
    const objs = await render([], sets);
    assert.ok(!objs.some((o) => o.kind === 'Secret' || o.kind === 'Certificate' || o.kind === 'Issuer'), 'nothing generated');
    const { proxy, controller } = split(objs);
    assert.equal(proxy.spec.template.spec.volumes.find((v: Json) => v.name === 'stream-tls').secret.secretName, 'proxy-stream');
    assert.equal(controller.spec.template.spec.volumes.find((v: Json) => v.name === 'stream-tls').secret.secretName, 'ctl-stream');
    const again = await render([], sets);
    assert.equal(again.map((o) => stringify(o)).join('---\n'), objs.map((o) => stringify(o)).join('---\n'));
    // Unnamed: the chart's names, for Secrets created beside the release.
    const defaults = split(await render([], ['streamTls.source=existing']));
    assert.equal(defaults.controller.spec.template.spec.volumes.find((v: Json) => v.name === 'stream-tls').secret.secretName, 'wsg-wsgate-stream-controller');
  });

  test('mode=single: today\'s one HA Deployment, proxy and admin Services, least-privilege RBAC, PDB', async () => {
    const objs = await render([], ['mode=single'], ['--include-crds']);
    assert.deepEqual(kinds(objs), [
      'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment', 'PodDisruptionBudget',
      'Role', 'RoleBinding', 'Service', 'ServiceAccount',
    ], 'no Secret: the chart renders no key');
    for (const o of objs) {
      if (o.kind === 'CustomResourceDefinition' || o.kind.startsWith('Cluster')) continue;
      assert.equal(o.metadata.namespace, 'edge', `${o.kind} ${o.metadata.name} is in the release namespace`);
    }

    const deploy = one(objs, 'Deployment', 'wsg-wsgate');
    assert.equal(deploy.spec.replicas, 2);
    const f = flags(deploy);
    assert.equal(f.get('--listen'), '0.0.0.0:8080');
    assert.equal(f.get('--admin-listen'), '0.0.0.0:9090');
    assert.equal(f.get('--leader-election-namespace'), '$(POD_NAMESPACE)');
    assert.equal(f.get('--leader-election-id'), 'wsg-wsgate-leader');
    assert.equal(f.get('--lease-duration'), '15000');
    assert.equal(f.get('--log-level'), 'info');
    assert.equal(f.get('--shutdown-grace'), '25000', 'milliseconds');
    assert.equal(f.get('--handshake-timeout'), '10s');
    assert.equal(f.get('--path-escaped-slashes'), 'reject');
    assert.equal(f.get('--path-semicolons'), 'reject');
    for (const absent of ['--no-leader-elect', '--watch-namespaces', '--no-watch-secrets', '--secret-namespaces', '--tls-listen', '--trusted-proxies', '--no-endpoint-metrics', '--no-path-merge-slashes']) {
      assert.ok(!f.has(absent), `no ${absent} by default`);
    }
    const c = container(deploy);
    assert.equal(c.image, 'ghcr.io/wsgate/wsgate:0.1.0');
    assert.deepEqual(
      c.env.map((e: Json) => `${e.name}=${e.valueFrom?.fieldRef?.fieldPath ?? e.valueFrom?.resourceFieldRef?.resource}`),
      // --workers from the container's CPU (no limit by default: the request, rounded up).
      ['POD_NAME=metadata.name', 'POD_NAMESPACE=metadata.namespace', 'WSGATE_WORKERS=requests.cpu'],
    );
    assert.deepEqual(c.env[2].valueFrom.resourceFieldRef, { containerName: 'wsgate', resource: 'requests.cpu', divisor: '1' });
    assert.deepEqual(c.ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`), ['proxy:8080', 'admin:9090']);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'admin' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
    assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'admin' });
    // Drain: preStop sleep, then SIGTERM and wsgate's 25 s grace, all inside the pod's grace.
    assert.equal(c.lifecycle.preStop.sleep.seconds, 5);
    assert.ok(deploy.spec.template.spec.terminationGracePeriodSeconds > 5 + 25);
    // Pod security: the "restricted" standard and a read-only root filesystem.
    const pod = deploy.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.runAsNonRoot, true);
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
    assert.equal(c.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    assert.deepEqual(pod.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    // Every replica signs affinity cookies with the key of one Secret, which the chart does not
    // render: the first replica to start creates it.
    assert.ok(!f.has('--affinity-key-file'));
    assert.equal(f.get('--affinity-key-secret'), 'edge/wsg-wsgate-affinity-key');
    assert.ok(f.has('--affinity-key-create'));
    assert.ok(!objs.some((o) => o.kind === 'Secret'), 'no Secret rendered');
    assert.equal(pod.serviceAccountName, 'wsg-wsgate');
    const selector = deploy.spec.selector.matchLabels;
    assert.deepEqual(selector, { 'app.kubernetes.io/name': 'wsgate', 'app.kubernetes.io/instance': 'wsg' });
    assert.deepEqual(
      pod.topologySpreadConstraints.map((t: Json) => [t.topologyKey, t.whenUnsatisfiable, t.labelSelector.matchLabels, t.matchLabelKeys]),
      [
        ['topology.kubernetes.io/zone', 'ScheduleAnyway', selector, ['pod-template-hash']],
        ['kubernetes.io/hostname', 'ScheduleAnyway', selector, ['pod-template-hash']],
      ],
    );
    assert.deepEqual(deploy.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });

    const proxy = one(objs, 'Service', 'wsg-wsgate');
    assert.equal(proxy.spec.type, 'LoadBalancer');
    assert.equal(proxy.spec.externalTrafficPolicy, 'Local');
    assert.deepEqual(proxy.spec.ports, [{ name: 'ws', port: 80, targetPort: 'proxy', protocol: 'TCP', appProtocol: 'kubernetes.io/ws' }]);
    assert.deepEqual(proxy.spec.selector, selector);
    const admin = one(objs, 'Service', 'wsg-wsgate-admin');
    assert.equal(admin.spec.type, 'ClusterIP');
    assert.deepEqual(admin.spec.ports.map((p: { name: string; port: number; targetPort: string }) => `${p.name}:${p.port}->${p.targetPort}`), ['admin:9090->admin']);

    // RBAC: exactly what the controller uses; Leases only in the release namespace, by name.
    assert.deepEqual(grants(one(objs, 'ClusterRole').rules), [...WATCH_GRANTS, ...SECRET_GRANTS].sort());
    const binding = one(objs, 'ClusterRoleBinding');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'wsg-wsgate' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'wsg-wsgate', namespace: 'edge' }]);
    const leader = one(objs, 'Role', 'wsg-wsgate-leader-election');
    assert.deepEqual(grants(leader.rules), [
      'coordination.k8s.io/leases:create',
      'coordination.k8s.io/leases:get@wsg-wsgate-leader',
      'coordination.k8s.io/leases:patch@wsg-wsgate-leader',
      'coordination.k8s.io/leases:update@wsg-wsgate-leader',
    ]);
    assert.deepEqual(one(objs, 'RoleBinding', 'wsg-wsgate-leader-election').roleRef.name, 'wsg-wsgate-leader-election');

    const pdb = one(objs, 'PodDisruptionBudget');
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, selector);

    assert.deepEqual(
      objs.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name).sort(),
      ['websocketpolicies.wsgate.io', 'websocketroutes.wsgate.io'],
    );
  });

  test('values-production.yaml: 3 replicas, PDB, NetworkPolicy, ServiceMonitor, PrometheusRule, dashboard', async () => {
    const objs = await render(['values-production.yaml']);
    assert.deepEqual(kinds(objs), [
      'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget',
      'PrometheusRule', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount', 'ServiceMonitor',
    ]);
    const { proxy: deploy, controller } = split(objs);
    assert.equal(deploy.spec.replicas, 3);
    assert.equal(container(deploy).image, 'ghcr.io/wsgate/wsgate:0.1.0-test');
    assert.equal(container(controller).image, 'ghcr.io/wsgate/wsgate:0.1.0-test');
    const f = flags(deploy, 'proxy');
    const cf = flags(controller);
    assert.equal(f.get('--log-level'), 'warn');
    assert.equal(cf.get('--log-level'), 'warn');
    assert.equal(cf.get('--lease-duration'), '10000');
    assert.equal(cf.get('--lease-retry-period'), '2000');
    assert.equal((container(controller).args as string[]).at(-1), '--debounce=100', 'extraArgs come last');
    assert.equal(cf.get('--tls-default-secret'), 'edge/wildcard-cert', 'the controller puts the default certificate into the snapshots');
    assert.equal(f.get('--tls-listen'), '0.0.0.0:8443');
    assert.equal(f.get('--tls-default-secret'), 'edge/wildcard-cert');
    assert.equal(f.get('--trusted-proxies'), '10.0.0.0/8,192.168.0.0/16');
    assert.equal(f.get('--handshake-timeout'), '5s');
    assert.ok(f.has('--no-endpoint-metrics'));
    assert.deepEqual(container(deploy).ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`), ['proxy:8080', 'tls:8443', 'admin:9090']);
    assert.equal(deploy.metadata.labels.team, 'edge');
    assert.equal(deploy.spec.template.metadata.annotations['example.com/owner'], 'edge');
    assert.equal(one(objs, 'PodDisruptionBudget').spec.minAvailable, 2);
    assert.equal(one(objs, 'PodDisruptionBudget').spec.maxUnavailable, undefined);

    const svc = one(objs, 'Service', 'wsg-wsgate');
    assert.equal(svc.spec.externalTrafficPolicy, 'Cluster');
    assert.deepEqual(svc.spec.ports.map((p: Json) => `${p.name}:${p.port}->${p.targetPort}/${p.appProtocol}`), ['ws:80->proxy/kubernetes.io/ws', 'wss:443->tls/kubernetes.io/wss']);
    assert.deepEqual(svc.spec.loadBalancerSourceRanges, ['203.0.113.0/24']);
    assert.equal(svc.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-type'], 'nlb');

    const np = one(objs, 'NetworkPolicy', 'wsg-wsgate');
    const cnp = one(objs, 'NetworkPolicy', 'wsg-wsgate-controller');
    assert.deepEqual(cnp.spec.ingress[0], { ports: [{ port: 'snapshots', protocol: 'TCP' }], from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'wsgate', 'app.kubernetes.io/instance': 'wsg' } } }] }, 'the stream only from this release\'s data plane');
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.ingress.map((r: Json) => r.ports.map((p: Json) => p.port)), [['proxy', 'tls'], ['admin']]);
    assert.deepEqual(np.spec.ingress[1].from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    assert.equal(np.spec.egress.length, 2);

    const sm = one(objs, 'ServiceMonitor');
    assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(sm.metadata.labels.release, 'kube-prometheus-stack');
    // The admin Service and the controller Service (its admin port: wsgate_leader and the watch metrics).
    assert.deepEqual(sm.spec.selector, {
      matchLabels: { 'app.kubernetes.io/instance': 'wsg' },
      matchExpressions: [
        { key: 'app.kubernetes.io/name', operator: 'In', values: ['wsgate', 'wsgate-controller'] },
        { key: 'app.kubernetes.io/service', operator: 'In', values: ['admin', 'controller'] },
      ],
    });
    assert.equal(one(objs, 'Service', 'wsg-wsgate-controller').metadata.labels['app.kubernetes.io/service'], 'controller');
    assert.deepEqual(one(objs, 'Service', 'wsg-wsgate-admin').metadata.labels['app.kubernetes.io/service'], 'admin');
    assert.deepEqual(sm.spec.endpoints, [{ port: 'admin', path: '/metrics', scheme: 'http', honorLabels: true, interval: '15s', scrapeTimeout: '10s' }]);

    const rule = one(objs, 'PrometheusRule');
    const rules = rule.spec.groups[0].rules as Array<{ alert: string; expr: string; labels?: { severity: string } }>;
    const byName = new Map(rules.map((r) => [r.alert, r]));
    assert.deepEqual([...byName.keys()], [
      'WsgateRouteNoReadyEndpoints', 'WsgateUpgradeErrorRatioHigh', 'WsgateConfigReloadFailures', 'WsgateTargetMissing', 'WsgateMemoryNearLimit',
      'WsgateConnectionsNearLimit', 'WsgateOverloadActions', 'WsgateCertificateExpiringSoon', 'WsgateNoLeader', 'WsgateProxyWithoutController', 'WsgateDown',
    ]);
    assert.equal(byName.get('WsgateProxyWithoutController')!.expr, 'max by (namespace, pod) (wsgate_snapshot_age_seconds{job="wsgate-admin"}) > 300');
    assert.equal(byName.get('WsgateRouteNoReadyEndpoints')!.expr, 'max by (namespace, route) (wsgate_endpoints{state="ready", job="wsgate-admin"}) == 0');
    assert.match(byName.get('WsgateUpgradeErrorRatioHigh')!.expr, /rate\(wsgate_upgrades_total\{result!="ok", job="wsgate-admin"\}\[5m\]\)[\s\S]*\/[\s\S]*rate\(wsgate_upgrades_total\{job="wsgate-admin"\}\[5m\]\)[\s\S]*> 0\.05/);
    assert.equal(byName.get('WsgateConfigReloadFailures')!.expr, 'increase(wsgate_config_reloads_total{result="failure", job="wsgate-admin"}[15m]) > 0');
    for (const r of rules.slice(0, 4)) assert.equal(r.labels?.severity, 'critical');

    const cm = one(objs, 'ConfigMap', 'wsg-wsgate-dashboard');
    assert.equal(cm.metadata.namespace, 'monitoring');
    assert.equal(cm.metadata.labels.grafana_dashboard, '1');
    assert.equal(cm.metadata.annotations.grafana_folder, 'Edge');
    assert.equal(cm.data['wsgate.json'].trim(), fs.readFileSync(path.join(chartDir, 'files/dashboard.json'), 'utf8').trim());
  });

  test('values-autoscaling.yaml: an HPA owns the replica count; a PodMonitor, no admin Service', async () => {
    const objs = await render(['values-autoscaling.yaml']);
    const deploy = one(objs, 'Deployment', 'wsg-wsgate');
    assert.equal(one(objs, 'Deployment', 'wsg-wsgate-controller').spec.replicas, 2, 'the HPA scales the data plane only');
    assert.equal(deploy.spec.replicas, undefined);
    const hpa = one(objs, 'HorizontalPodAutoscaler');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'wsg-wsgate' });
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [3, 12]);
    assert.deepEqual(
      hpa.spec.metrics.map((m: Json) => (m.type === 'Resource' ? `${m.resource.name}=${m.resource.target.averageUtilization}` : `${m.pods.metric.name}=${m.pods.target.averageValue}`)),
      ['cpu=60', 'wsgate_connections=6000', 'memory=80'],
    );
    assert.equal(hpa.spec.behavior.scaleDown.policies[0].value, 1, 'scale down slowly: it closes WebSockets');
    one(objs, 'PodDisruptionBudget');
    assert.deepEqual(objs.filter((o) => o.kind === 'Service').map((o) => o.metadata.name), ['wsg-wsgate-controller', 'wsg-wsgate']);
    const pm = one(objs, 'PodMonitor');
    assert.deepEqual(pm.spec.podMetricsEndpoints[0].port, 'admin');
    assert.equal(pm.spec.podMetricsEndpoints[0].interval, '20s');
    assert.equal(objs.filter((o) => o.kind === 'ServiceMonitor').length, 0);
  });

  test('overload values: flags only for the values set (null keeps wsgate\'s default), the manager can be turned off', async () => {
    const none = flags(one(await render(), 'Deployment', 'wsg-wsgate'), 'proxy');
    assert.deepEqual([...none.keys()].filter((k) => /max-connections|ready-|overload/.test(k)), [], 'defaults: wsgate derives them');
    const set = flags(
      one(
        // --set makes 0.85 a string (the schema wants a number): JSON values instead.
        await render([], [], ['--set-json', 'overload={"maxConnections":20000,"readyHighWater":0.85,"readyLowWater":0.7,"manager":{"enabled":true,"refuseAt":0.8,"shedAt":0.9,"shedPerSecond":20}}']),
        'Deployment',
        'wsg-wsgate',
      ),
      'proxy',
    );
    assert.deepEqual(
      ['--max-connections', '--ready-high-water', '--ready-low-water', '--overload-refuse-at', '--overload-shed-at', '--overload-shed-per-second'].map((k) => set.get(k)),
      ['20000', '0.85', '0.7', '0.8', '0.9', '20'],
    );
    const off = flags(one(await render([], ['overload.manager.enabled=false'], ['--set-json', 'overload.manager.shedAt=0.9']), 'Deployment', 'wsg-wsgate'), 'proxy');
    assert.equal(off.get('--no-overload-manager'), '');
    assert.equal(off.get('--overload-shed-at'), undefined);
  });

  test('autoscaling on connections: the HPA gets a Pods metric on wsgate_connections; off by default', async () => {
    const hpa = one(await render(['values-autoscaling.yaml'], ['autoscaling.targetConnectionsPerPod=8000']), 'HorizontalPodAutoscaler');
    const pods = hpa.spec.metrics.filter((m: Json) => m.type === 'Pods');
    assert.deepEqual(pods, [{ type: 'Pods', pods: { metric: { name: 'wsgate_connections' }, target: { type: 'AverageValue', averageValue: '8000' } } }]);
    assert.equal((await render()).filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject').length, 0);
  });

  test('keda.enabled: a ScaledObject on the pods\' connections owns the replica count; not together with autoscaling.enabled', async () => {
    const objs = await render([], ['keda.enabled=true', 'keda.minReplicas=3', 'keda.maxReplicas=30', 'keda.targetConnectionsPerPod=12000']);
    assert.equal(one(objs, 'Deployment', 'wsg-wsgate').spec.replicas, undefined);
    assert.equal(objs.filter((o) => o.kind === 'HorizontalPodAutoscaler').length, 0);
    const so = one(objs, 'ScaledObject');
    assert.equal(so.apiVersion, 'keda.sh/v1alpha1');
    assert.deepEqual(so.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'wsg-wsgate' });
    assert.deepEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount], [3, 30]);
    assert.equal(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies[0].value, 1, 'scale-in one pod at a time, as the HPA');
    assert.deepEqual(so.spec.triggers, [
      {
        type: 'prometheus',
        metricType: 'AverageValue',
        metadata: { serverAddress: 'http://prometheus-operated.monitoring.svc:9090', query: 'sum(wsgate_connections{namespace="edge",pod=~"wsg-wsgate-[a-z0-9]+-[a-z0-9]+"})', threshold: '12000' },
      },
    ]);
    const both = await helm(['template', 'wsg', chartDir, '--set', 'keda.enabled=true', '--set', 'autoscaling.enabled=true']);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /keda\.enabled and autoscaling\.enabled exclude each other/);
  });

  test('the PrometheusRule loads into Prometheus: promtool check rules, with and without a selector', async () => {
    const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => fs.existsSync(p));
    if (!promtool) {
      if (process.env.CI === 'true') assert.fail('CI=true needs promtool: test/prometheus/setup.sh installs Debian\'s prometheus');
      return;
    }
    const dir = tempDir('wsgate-rules-');
    for (const [i, sets] of [[], ['metrics.prometheusRule.selector=job="wsgate-admin"']].entries()) {
      const rule = one(await render([], ['metrics.prometheusRule.enabled=true', ...sets]), 'PrometheusRule');
      const names = rule.spec.groups[0].rules.map((r: { alert: string }) => r.alert);
      for (const a of ['WsgateTargetMissing', 'WsgateMemoryNearLimit', 'WsgateConnectionsNearLimit', 'WsgateOverloadActions', 'WsgateCertificateExpiringSoon']) assert.ok(names.includes(a), a);
      const file = path.join(dir, `rules-${i}.yaml`);
      fs.writeFileSync(file, stringify({ groups: rule.spec.groups }));
      const r = await run(promtool, ['check', 'rules', file]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /SUCCESS: \d+ rules found/);
    }
    const expiring = one(await render([], ['metrics.prometheusRule.enabled=true']), 'PrometheusRule').spec.groups[0].rules.find((r: { alert: string }) => r.alert === 'WsgateCertificateExpiringSoon');
    assert.equal(expiring.expr, 'min by (secret) (wsgate_tls_certificate_expiry_timestamp_seconds) - time() < 1209600', '14 days');
  });

  test('values-namespaced.yaml: a Role per watched namespace, Secrets in one namespace only', async () => {
    const objs = await render(['values-namespaced.yaml']);
    assert.equal(objs.filter((o) => o.kind.startsWith('Cluster')).length, 0, 'no cluster-wide RBAC');
    const cf = flags(split(objs).controller);
    assert.equal(cf.get('--watch-namespaces'), 'team-a,team-b');
    assert.equal(cf.get('--leader-election-id'), 'edge-leader');
    assert.equal(cf.get('--secret-namespaces'), 'tls-certs');
    for (const ns of ['team-a', 'team-b']) {
      const role = objs.find((o) => o.kind === 'Role' && o.metadata.namespace === ns)!;
      assert.deepEqual(grants(role.rules), WATCH_GRANTS, `Role in ${ns}`);
      const rb = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === ns)!;
      assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: 'wsg-wsgate-controller', namespace: 'edge' }]);
    }
    const secrets = objs.find((o) => o.kind === 'Role' && o.metadata.namespace === 'tls-certs')!;
    assert.deepEqual(grants(secrets.rules), SECRET_GRANTS);
    assert.deepEqual(grants(one(objs, 'Role', 'wsg-wsgate-leader-election').rules).filter((g) => g.includes('@')), [
      'coordination.k8s.io/leases:get@edge-leader',
      'coordination.k8s.io/leases:patch@edge-leader',
      'coordination.k8s.io/leases:update@edge-leader',
    ]);
    const svc = one(objs, 'Service', 'wsg-wsgate');
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.equal(svc.spec.externalTrafficPolicy, undefined, 'externalTrafficPolicy only for NodePort/LoadBalancer');
    assert.equal(svc.spec.internalTrafficPolicy, 'Local');
  });

  test('values-single.yaml: one replica without leader election, NodePort, longer drain, digest', async () => {
    const objs = await render(['values-single.yaml']);
    assert.deepEqual(kinds(objs), ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Role', 'RoleBinding', 'Service'], 'no Secret; the affinity key\'s Role');
    const deploy = one(objs, 'Deployment');
    const f = flags(deploy);
    assert.ok(f.has('--no-leader-elect'));
    assert.ok(!f.has('--leader-election-id'));
    assert.equal(f.get('--shutdown-grace'), '60000');
    assert.ok(f.has('--no-watch-secrets'));
    assert.equal(deploy.spec.template.spec.terminationGracePeriodSeconds, 75);
    assert.equal(container(deploy).lifecycle.preStop.sleep.seconds, 10);
    assert.equal(container(deploy).startupProbe, undefined);
    assert.equal(container(deploy).image, 'registry.example.com/edge/wsgate@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    assert.equal(deploy.spec.template.spec.serviceAccountName, 'edge-wsgate');
    assert.deepEqual(one(objs, 'ClusterRoleBinding').subjects[0].name, 'edge-wsgate');
    assert.deepEqual(grants(one(objs, 'ClusterRole').rules), WATCH_GRANTS, 'no Secrets with secrets.scope none');
    const svc = one(objs, 'Service', 'wsg-wsgate');
    assert.equal(svc.spec.type, 'NodePort');
    assert.equal(svc.spec.ports[0].nodePort, 30080);
    assert.equal(svc.spec.externalTrafficPolicy, 'Local');
  });

  test('gatewayAPI.enabled: the flags, its RBAC (only then), Service and container ports, the unprivileged-port sysctl', async () => {
    const off = await render();
    assert.equal(flags(split(off).controller).get('--gateway-api'), 'off', 'off by default: no Gateway API RBAC needed');
    assert.ok(!off.some((o) => o.metadata.name.endsWith('-gateway-api')));
    assert.equal(split(off).proxy.spec.template.spec.securityContext.sysctls, undefined);

    const objs = await render([], ['gatewayAPI.enabled=true', 'gatewayAPI.controllerName=example.com/edge']);
    // The controller translates Gateways; the data plane binds their ports.
    const { proxy: deploy, controller } = split(objs);
    const f = flags(controller);
    assert.equal(f.get('--gateway-api'), 'on');
    assert.equal(f.get('--gateway-controller-name'), 'example.com/edge');
    assert.equal(f.get('--gateway-service'), 'edge/wsg-wsgate', "every Gateway reports the chart's Service addresses");
    assert.equal(f.get('--gateway-ports'), '80,443');
    assert.equal(f.get('--gateway-service-port'), '80', 'Gateway listeners on the Service port of the proxy listener are served by it');
    assert.equal(f.has('--gateway-service-tls-port'), false);
    assert.deepEqual(deploy.spec.template.spec.securityContext.sysctls, [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
    // Port 80 is the proxy listener's Service port; 443 (TLS off) gets a port of its own.
    assert.deepEqual(container(deploy).ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`), ['proxy:8080', 'admin:9090', 'gw-443:443']);
    const svc = one(objs, 'Service', 'wsg-wsgate');
    assert.deepEqual(svc.spec.ports.map((p: { name: string; port: number; targetPort: string }) => `${p.name}:${p.port}->${p.targetPort}`), ['ws:80->proxy', 'gw-443:443->gw-443']);
    // RBAC: the cluster-wide ClusterRole keeps its grants; the Gateway API ones are separate.
    assert.deepEqual(grants(one(objs, 'ClusterRole', 'wsg-wsgate').rules), [...WATCH_GRANTS, ...SECRET_GRANTS].sort());
    assert.deepEqual(grants(one(objs, 'ClusterRole', 'wsg-wsgate-gateway-api').rules), [...GATEWAY_CLUSTER_GRANTS, ...GATEWAY_WATCH_GRANTS].sort());
    assert.deepEqual(one(objs, 'ClusterRoleBinding', 'wsg-wsgate-gateway-api').subjects, [{ kind: 'ServiceAccount', name: 'wsg-wsgate-controller', namespace: 'edge' }]);
    assert.equal(controller.spec.template.spec.securityContext.sysctls, undefined, 'the controller binds no Gateway port');

    // TLS on and fixed addresses: 443 is the TLS listener's; no Service watch.
    const tls = flags(split(await render([], ['gatewayAPI.enabled=true', 'tls.enabled=true', 'gatewayAPI.addresses={203.0.113.7,edge.example.com}'])).controller);
    assert.equal(tls.get('--gateway-service-tls-port'), '443');
    assert.equal(tls.has('--gateway-service'), false);
    const args = container(split(await render([], ['gatewayAPI.enabled=true', 'gatewayAPI.addresses={203.0.113.7,edge.example.com}'])).controller).args as string[];
    assert.deepEqual(args.filter((a) => a.startsWith('--gateway-address=')), ['--gateway-address=203.0.113.7', '--gateway-address=edge.example.com']);

    // Namespaced: the namespaced kinds in a Role per watched namespace, cluster-scoped ones in
    // the ClusterRole, and the chart's own Service readable in the release namespace.
    const namespaced = await render(['values-namespaced.yaml'], ['gatewayAPI.enabled=true']);
    assert.deepEqual(grants(one(namespaced, 'ClusterRole', 'wsg-wsgate-gateway-api').rules), GATEWAY_CLUSTER_GRANTS);
    for (const ns of ['team-a', 'team-b']) {
      const role = namespaced.find((o) => o.kind === 'Role' && o.metadata.name === 'wsg-wsgate-gateway-api' && o.metadata.namespace === ns)!;
      assert.deepEqual(grants(role.rules), GATEWAY_WATCH_GRANTS, `Gateway API Role in ${ns}`);
    }
    const own = one(namespaced, 'Role', 'wsg-wsgate-gateway-service');
    assert.equal(own.metadata.namespace, 'edge');
    assert.deepEqual(grants(own.rules), ['core/services:get', 'core/services:list', 'core/services:watch']);

    // A Gateway port that is also a container port of the chart's own listeners is refused.
    const r = await helm(['template', 'wsg', chartDir, '--set', 'gatewayAPI.enabled=true', '--set', 'gatewayAPI.ports={9090}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /gatewayAPI\.ports: 9090 is also one of containerPorts/);
  });

  test('controller.paths: each path normalisation value becomes its flag', async () => {
    const f = flags(one(await render([], ['controller.paths.mergeSlashes=false', 'controller.paths.escapedSlashes=keep', 'controller.paths.semicolons=keep']), 'Deployment', 'wsg-wsgate'), 'proxy');
    assert.equal(f.get('--path-escaped-slashes'), 'keep');
    assert.equal(f.get('--path-semicolons'), 'keep');
    assert.ok(f.has('--no-path-merge-slashes'));
  });

  test('tls policy values: the --tls-* flags on the data plane (split and single mode) only when set; a bad version refused', async () => {
    const sets = ['tls.minVersion=TLSv1.3', 'tls.maxVersion=TLSv1.3', 'tls.ciphers={TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256}', 'tls.ecdhCurves={X25519,P-256}'];
    for (const f of [flags(one(await render([], sets), 'Deployment', 'wsg-wsgate'), 'proxy'), flags(one(await render([], ['mode=single', ...sets]), 'Deployment', 'wsg-wsgate'))]) {
      assert.equal(f.get('--tls-min-version'), 'TLSv1.3');
      assert.equal(f.get('--tls-max-version'), 'TLSv1.3');
      assert.equal(f.get('--tls-ciphers'), 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256');
      assert.equal(f.get('--tls-ecdh-curves'), 'X25519:P-256');
    }
    const plain = flags(one(await render(), 'Deployment', 'wsg-wsgate'), 'proxy');
    for (const flag of ['--tls-min-version', '--tls-max-version', '--tls-ciphers', '--tls-ecdh-curves']) assert.equal(plain.has(flag), false, flag);
    const bad = await helm(['template', 'wsg', chartDir, '--set', 'tls.minVersion=TLSv1.1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /\/tls\/minVersion/);
  });

  test('tls.http2, tls.alpn and controller.h2c: --no-http2, --tls-alpn and --h2c on the data plane only when set; an ALPN list without http/1.1 refused', async () => {
    const off = flags(one(await render([], ['tls.http2=false']), 'Deployment', 'wsg-wsgate'), 'proxy');
    assert.ok(off.has('--no-http2'));
    const listed = flags(one(await render([], ['mode=single', 'tls.alpn={h2,http/1.1}']), 'Deployment', 'wsg-wsgate'));
    assert.equal(listed.get('--tls-alpn'), 'h2,http/1.1');
    const plain = flags(one(await render(), 'Deployment', 'wsg-wsgate'), 'proxy');
    for (const flag of ['--no-http2', '--tls-alpn']) assert.equal(plain.has(flag), false, flag);
    assert.ok(flags(one(await render([], ['controller.h2c=true']), 'Deployment', 'wsg-wsgate'), 'proxy').has('--h2c'));
    assert.equal(plain.has('--h2c'), false);
    const bad = await helm(['template', 'wsg', chartDir, '--set', 'tls.alpn={h2}']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /\/tls\/alpn/);
  });

  test('listenAddress: "::" binds every listener of both Deployments on [::] (dual-stack); the default stays 0.0.0.0; other values refused', async () => {
    const six = await render([], ['listenAddress=::', 'tls.enabled=true']);
    const proxy = flags(one(six, 'Deployment', 'wsg-wsgate'), 'proxy');
    for (const flag of ['--listen', '--admin-listen', '--tls-listen']) assert.match(proxy.get(flag) ?? '', /^\[::\]:\d+$/, flag);
    const controller = flags(one(six, 'Deployment', 'wsg-wsgate-controller'));
    for (const flag of ['--listen', '--admin-listen', '--snapshot-listen']) assert.match(controller.get(flag) ?? '', /^\[::\]:\d+$/, flag);
    assert.match(flags(one(await render(), 'Deployment', 'wsg-wsgate'), 'proxy').get('--listen') ?? '', /^0\.0\.0\.0:/);
    const bad = await helm(['template', 'wsg', chartDir, '--set', 'listenAddress=[::]']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /listenAddress/);
  });

  test('controller.proxyProtocol: the --proxy-protocol flag on the data plane (split and single mode) only when set', async () => {
    const cidrs = 'controller.proxyProtocol={10.0.0.0/8,fd00::/8}';
    const split = flags(one(await render([], [cidrs]), 'Deployment', 'wsg-wsgate'), 'proxy');
    assert.equal(split.get('--proxy-protocol'), '10.0.0.0/8,fd00::/8');
    const single = flags(one(await render([], ['mode=single', cidrs]), 'Deployment', 'wsg-wsgate'));
    assert.equal(single.get('--proxy-protocol'), '10.0.0.0/8,fd00::/8');
    assert.equal(flags(one(await render(), 'Deployment', 'wsg-wsgate'), 'proxy').has('--proxy-protocol'), false);
    const bad = await helm(['template', 'wsg', chartDir, '--set', 'controller.proxyProtocol={balancer.example}']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /at '\/controller\/proxyProtocol\/0': '.*' does not match pattern/);
  });

  test('controller.clientIpv6Prefix: --client-ipv6-prefix on the data plane (split and single mode), 64 by default; out of 0..128 refused', async () => {
    assert.equal(flags(one(await render(), 'Deployment', 'wsg-wsgate'), 'proxy').get('--client-ipv6-prefix'), '64');
    const split = flags(one(await render([], ['controller.clientIpv6Prefix=56']), 'Deployment', 'wsg-wsgate'), 'proxy');
    assert.equal(split.get('--client-ipv6-prefix'), '56');
    const single = flags(one(await render([], ['mode=single', 'controller.clientIpv6Prefix=128']), 'Deployment', 'wsg-wsgate'));
    assert.equal(single.get('--client-ipv6-prefix'), '128');
    const bad = await helm(['template', 'wsg', chartDir, '--set', 'controller.clientIpv6Prefix=129']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /clientIpv6Prefix/);
  });

  test('controller.className and defaultClass: --class on the controller (split: not the proxy), --no-default-class only when false', async () => {
    const byDefault = split(await render());
    assert.equal(flags(byDefault.controller).get('--class'), 'wsgate');
    assert.ok(!flags(byDefault.controller).has('--no-default-class'));
    assert.ok(!flags(byDefault.proxy, 'proxy').has('--class'), 'proxies receive only the routes their controller kept');
    const internal = flags(split(await render([], ['controller.className=internal', 'controller.defaultClass=false'])).controller);
    assert.equal(internal.get('--class'), 'internal');
    assert.ok(internal.has('--no-default-class'));
    const single = flags(one(await render([], ['mode=single', 'controller.className=internal']), 'Deployment', 'wsg-wsgate'));
    assert.equal(single.get('--class'), 'internal');
  });

  test('controller.hostOwnership: namespace by default, on the controller only (proxies get it in snapshots)', async () => {
    const byDefault = split(await render());
    assert.equal(flags(byDefault.controller).get('--host-ownership'), 'namespace');
    assert.ok(!flags(byDefault.proxy, 'proxy').has('--host-ownership'));
    assert.equal(flags(split(await render([], ['controller.hostOwnership=shared'])).controller).get('--host-ownership'), 'shared');
  });

  test('the values schema refuses bad values, with the key in the message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['replicaCount=three'], /at '\/replicaCount': got string, want integer/],
      [['replicas=3'], /additional properties 'replicas' not allowed/],
      [['mode=both'], /at '\/mode': value must be one of 'split', 'single'/],
      [['controller.className=Internal_1'], /at '\/controller\/className': .*does not match pattern/],
      [['streamTls.source=vault'], /at '\/streamTls\/source': value must be one of 'helm', 'certManager'/],
      [['service.type=Ingress'], /at '\/service\/type': value must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'/],
      [['secrets.scope=some'], /at '\/secrets\/scope': value must be one of 'all', 'namespaces', 'none'/],
      [['rbac.secrets.scope=all'], /at '\/rbac': additional properties 'secrets' not allowed/],
      [['tls.defaultSecret=wildcard-cert'], /at '\/tls\/defaultSecret': '.*' does not match pattern/],
      [['containerPorts.proxy=70000'], /at '\/containerPorts\/proxy': maximum: got 70,000, want 65,535/],
      [['controller.logLevel=verbose'], /at '\/controller\/logLevel': value must be one of/],
      [['controller.paths.escapedSlashes=decode'], /at '\/controller\/paths\/escapedSlashes': value must be one of 'reject', 'keep'/],
      [['controller.paths.semicolons=strip'], /at '\/controller\/paths\/semicolons': value must be one of 'reject', 'keep'/],
      [['metrics.serviceMonitor.interval=often'], /at '\/metrics\/serviceMonitor\/interval': '.*' does not match pattern/],
      [['controller.watchNamespaces={Team_A}'], /at '\/controller\/watchNamespaces\/0': '.*' does not match pattern/],
    ];
    for (const [sets, message] of cases) {
      const r = await helm(['template', 'wsg', chartDir, ...sets.flatMap((s) => ['--set', s])]);
      assert.notEqual(r.code, 0, `helm accepted ${sets.join(' ')}`);
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
      assert.match(r.stderr, message, `helm template --set ${sets.join(' ')}`);
    }
  });

  test('rules across values that the schema cannot express fail the render with a clear message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['leaderElection.enabled=false'], /leaderElection\.enabled must be true when more than one controller replica runs/],
      [['mode=single', 'leaderElection.enabled=false'], /leaderElection\.enabled must be true when more than one replica can run/],
      [['mode=single', 'replicaCount=1', 'leaderElection.enabled=false', 'autoscaling.enabled=true'], /leaderElection\.enabled must be true/],
      [['controllerDeployment.snapshotPort=9090'], /controllerDeployment\.snapshotPort and containerPorts\.admin must differ/],
      [['terminationGracePeriodSeconds=30'], /terminationGracePeriodSeconds \(30\) must be larger than shutdown\.preStopSleepSeconds \+ the shutdown grace \(5 \+ 25 = 30\)/],
      [['shutdown.graceSeconds=60'], /terminationGracePeriodSeconds \(40\) must be larger than .*\(5 \+ 60 = 65\)/],
      [['secrets.scope=namespaces'], /secrets\.namespaces must list at least one namespace/],
      [['tls.enabled=true', 'secrets.scope=none'], /tls\.enabled needs access to Secrets/],
      [['tls.enabled=true', 'containerPorts.tls=9090'], /containerPorts\.proxy, containerPorts\.admin and containerPorts\.tls must differ/],
      [['metrics.serviceMonitor.enabled=true', 'adminService.enabled=false'], /needs adminService\.enabled/],
    ];
    for (const [sets, message] of cases) {
      const r = await helm(['template', 'wsg', chartDir, ...sets.flatMap((s) => ['--set', s])]);
      assert.notEqual(r.code, 0, `helm accepted ${sets.join(' ')}`);
      assert.match(r.stderr, message, `helm template --set ${sets.join(' ')}`);
    }
  });

  test('values.schema.json describes every value in values.yaml, and nothing else', () => {
    const values = parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const schema = JSON.parse(fs.readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8'));
    const missing: string[] = [];
    const walk = (v: unknown, s: Json, at: string) => {
      if (!s) return void missing.push(`${at}: not in the schema`);
      if (!s.description && at !== '') missing.push(`${at}: no description`);
      if (v && typeof v === 'object' && !Array.isArray(v) && s.additionalProperties === false) {
        for (const [k, child] of Object.entries(v)) walk(child, s.properties?.[k], `${at}/${k}`);
        for (const k of Object.keys(s.properties ?? {})) if (!(k in (v as object)) && k !== 'global') missing.push(`${at}/${k}: in the schema, not in values.yaml`);
      }
    };
    walk(values, schema, '');
    assert.deepEqual(missing, []);
  });

  test('the dashboard and the alerts use the metrics docs/operations.md lists', () => {
    const page = fs.readFileSync(path.join(repoRoot, 'docs/operations.md'), 'utf8');
    const section = page.slice(page.indexOf('## Metrics'));
    const metrics = [...section.matchAll(/^\| `(wsgate_[a-z_]+)`/gm)].map((m) => m[1]!);
    assert.ok(metrics.length >= 10, `metrics table found in docs/operations.md (${metrics.length})`);
    const dashboard = JSON.parse(fs.readFileSync(path.join(chartDir, 'files/dashboard.json'), 'utf8'));
    const exprs = JSON.stringify(dashboard.panels.flatMap((p: { targets?: Array<{ expr: string }> }) => p.targets?.map((t) => t.expr) ?? []));
    assert.deepEqual(metrics.filter((m) => !exprs.includes(m)), [], 'every documented metric has a panel');
    assert.equal(dashboard.uid, 'wsgate-overview');
    assert.ok(dashboard.templating.list.some((v: { name: string }) => v.name === 'datasource'));
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    const cells = new Map<string, string>();
    for (const p of dashboard.panels as Array<{ title: string; gridPos: { x: number; y: number; w: number; h: number } }>) {
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.x + g.w <= 24, `${p.title} fits the 24-column grid`);
      for (let y = g.y; y < g.y + g.h; y++) {
        for (let x = g.x; x < g.x + g.w; x++) {
          const other = cells.get(`${x},${y}`);
          assert.equal(other, undefined, `panels "${other}" and "${p.title}" overlap`);
          cells.set(`${x},${y}`, p.title);
        }
      }
    }
  });

  test('manifests/install.yaml is the chart rendered with default values (make manifests)', async () => {
    const dir = tempDir('wsgate-manifests-');
    try {
      const fresh = path.join(dir, 'install.yaml');
      await ok('bash', [path.join(repoRoot, 'e2e/chart/render-manifests.sh'), fresh], { env: { ...process.env, HELM: helmBin } });
      const committed = fs.readFileSync(path.join(repoRoot, 'manifests/install.yaml'), 'utf8');
      assert.ok(committed === fs.readFileSync(fresh, 'utf8'), 'manifests/install.yaml is stale: run `make manifests`');
      const objs = parseObjects(committed);
      assert.equal(objs[0]!.kind, 'Namespace');
      assert.equal(objs[0]!.metadata.labels!['pod-security.kubernetes.io/enforce'], 'restricted');
      assert.ok(objs.some((o) => o.kind === 'CustomResourceDefinition'));
      assert.equal(one(objs, 'Deployment').metadata.name, 'wsgate');
      assert.equal(flags(one(objs, 'Deployment')).get('--leader-election-id'), 'wsgate-leader', 'the controller\'s default Lease name');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('image: the Dockerfile\'s runtime layout (production dependencies only) runs wsgate', async () => {
    const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const values = parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
    // The Dockerfile pins the Node.js that package.json pins and runs as the chart's user.
    assert.match(dockerfile, new RegExp(`^ARG NODE_VERSION=${pkg.devDependencies.node.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(dockerfile, /^FROM node:\$\{NODE_VERSION\}-slim AS build$/m);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, new RegExp(`^USER ${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}$`, 'm'));
    assert.match(dockerfile, /^ENTRYPOINT \["node", "\/app\/dist\/src\/cli\.js"\]$/m);
    assert.match(dockerfile, new RegExp(`^EXPOSE ${values.containerPorts.proxy} ${values.containerPorts.admin}$`, 'm'));
    const appVersion = parse(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')).appVersion;
    assert.equal(appVersion, pkg.version, 'Chart.yaml appVersion follows package.json version');

    // Build the runtime stage's /app without docker: the same files, the same npm command.
    const app = tempDir('wsgate-image-');
    try {
      for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(repoRoot, f), path.join(app, f));
      await ok('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], { cwd: app, timeoutMs: 180_000 });
      fs.rmSync(path.join(app, 'package-lock.json'));
      fs.cpSync(path.join(repoRoot, 'crds'), path.join(app, 'crds'), { recursive: true });
      fs.cpSync(path.join(repoRoot, 'dist/src'), path.join(app, 'dist/src'), { recursive: true });
      assert.ok(!fs.existsSync(path.join(app, 'node_modules/typescript')), 'no dev dependencies');
      const cli = path.join(app, 'dist/src/cli.js');
      const help = await ok(process.execPath, [cli, 'controller', '--help'], { cwd: os.tmpdir() });
      assert.match(help, /--leader-election-namespace/);
      // validate loads the CRD from /app/crds, found from dist/src/api/.
      const v = await ok(process.execPath, [cli, 'validate', path.join(repoRoot, 'examples/quickstart.yaml')], { cwd: os.tmpdir() });
      assert.match(v, /valid/);
    } finally {
      fs.rmSync(app, { recursive: true, force: true });
    }
  });
});

function valuesFiles(): string[] {
  return fs.readdirSync(path.join(repoRoot, 'e2e/chart')).filter((f) => /^values-.*\.yaml$/.test(f)).sort();
}

// ---------------------------------------------------------------------------------------------
// against the e2e control plane

// These installs check objects and RBAC with wsgate run outside the cluster (it takes the
// release's Lease). With the e2e cluster's real node their pods would run too and compete for
// that Lease, so they are kept off the node; e2e/node/node.test.ts runs the chart on real pods.
const OFF_NODE = ['--set-string', 'nodeSelector.wsgate-e2e-unschedulable=true'];

const suffix = `${process.pid}-${Date.now() % 100000}`;
const releaseNs = `chart-${suffix}`;
const appNs = `chart-app-${suffix}`;
const release = `wsg${process.pid % 100000}`;
const fullname = `${release}-wsgate`;
// Split mode (the default): the controller's ServiceAccount holds the RBAC, the data plane's none.
const sa = `system:serviceaccount:${releaseNs}:${fullname}-controller`;
const proxySa = `system:serviceaccount:${releaseNs}:${fullname}`;
// A second, namespaced install in single-process mode (controller.watchNamespaces = [appNs]:
// Roles, no ClusterRole).
const releaseNs2 = `chart-nsd-${suffix}`;
const release2 = `wsn${process.pid % 100000}`;
const fullname2 = `${release2}-wsgate`;
const sa2 = `system:serviceaccount:${releaseNs2}:${fullname2}`;

function kubectl(args: string[], input?: string, kc = kubeconfig): Promise<Result> {
  return run(kubectlPath, ['--kubeconfig', kc, ...args], { input, timeoutMs: 90_000 });
}

async function kubectlOk(args: string[], input?: string, kc = kubeconfig): Promise<string> {
  const r = await kubectl(args, input, kc);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function toYaml(objects: object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** `kubectl auth can-i` as a ServiceAccount: true for yes. */
async function canI(as: string, args: string[]): Promise<boolean> {
  const r = await kubectl(['auth', 'can-i', `--as=${as}`, ...args]);
  const answer = r.stdout.trim();
  assert.ok(answer === 'yes' || answer.startsWith('no'), `kubectl auth can-i ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return answer === 'yes';
}

/**
 * A copy of the admin kubeconfig that impersonates ServiceAccount `as` (kubectl reads as and
 * as-groups; the Node.js client sends Impersonate-User, and for a ServiceAccount user the API
 * server adds the same groups itself).
 */
async function impersonating(as: string, file: string): Promise<string> {
  const ns = as.split(':')[2]!;
  const kc = parse(fs.readFileSync(kubeconfig, 'utf8'));
  kc.users[0].user.as = as;
  kc.users[0].user['as-groups'] = ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
  fs.writeFileSync(file, stringify(kc), { mode: 0o600 });
  const who = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], undefined, file));
  assert.equal(who.status.userInfo.username, as);
  return file;
}

/**
 * Runs `wsgate controller` outside the cluster with exactly the installed Deployment's arguments
 * ($(POD_NAMESPACE) expanded) and the given kubeconfig. startWsgate appends loopback listeners
 * on kernel-chosen ports and debug logging, which win over the chart's values.
 */
async function startAsDeployment(name: string, ns: string, kc: string): Promise<WsgateChild> {
  const deploy = JSON.parse(await kubectlOk(['get', 'deployment', name, '-n', ns, '-o', 'json']));
  const args = (deploy.spec.template.spec.containers[0].args as string[]).map((a) => a.replace('$(POD_NAMESPACE)', ns));
  // The chart's TLS listener port is fixed; tests use a kernel-chosen loopback port instead.
  const tls = args.some((a) => a.startsWith('--tls-listen')) ? ['--tls-listen', '127.0.0.1:0'] : [];
  const gw = await startWsgate([...args, '--kubeconfig', kc, ...tls]);
  await eventually('readyz', async () => (await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status === 200, 300, 100);
  return gw;
}

/** A kubernetes.io/tls Secret of the release written out as the snapshot stream reads it. */
async function secretDir(name: string, ns: string): Promise<string> {
  const secret = JSON.parse(await kubectlOk(['get', 'secret', name, '-n', ns, '-o', 'json']));
  const dir = tempDir('wsgate-stream-tls-');
  for (const k of ['ca.crt', 'tls.crt', 'tls.key']) fs.writeFileSync(path.join(dir, k), Buffer.from(secret.data[k], 'base64'), { mode: 0o600 });
  return dir;
}

/** Replaces a `--flag=value` argument (keeps the rest). */
function withFlag(args: string[], flag: string, value: string): string[] {
  return args.map((a) => (a.startsWith(`${flag}=`) ? `${flag}=${value}` : a));
}

/**
 * Split mode outside the cluster: the controller Deployment's arguments as `kc` (its snapshot
 * stream on a loopback port), then the data plane Deployment's arguments with NO kubeconfig,
 * pointed at that port under the controller Service's name, each with the certificates the chart
 * generated for it. Resolves once the data plane has its first table.
 */
async function startSplitAsDeployments(ns: string, kc: string): Promise<{ controller: WsgateChild; proxy: WsgateChild }> {
  const controllerDeploy = JSON.parse(await kubectlOk(['get', 'deployment', `${fullname}-controller`, '-n', ns, '-o', 'json']));
  let cargs = (controllerDeploy.spec.template.spec.containers[0].args as string[]).map((a) => a.replace('$(POD_NAMESPACE)', ns));
  cargs = withFlag(withFlag(cargs, '--snapshot-tls-dir', await secretDir(`${fullname}-stream-controller`, ns)), '--snapshot-listen', '127.0.0.1:0');
  const controller = await startWsgate([...cargs, '--kubeconfig', kc]);
  await eventually('controller readyz', async () => (await fetch(`http://127.0.0.1:${controller.adminPort}/readyz`)).status === 200, 300, 100);
  try {
    const proxyDeploy = JSON.parse(await kubectlOk(['get', 'deployment', fullname, '-n', ns, '-o', 'json']));
    let pargs = proxyDeploy.spec.template.spec.containers[0].args as string[];
    assert.ok(pargs.includes(`--controller-name=${fullname}-controller.${ns}.svc`));
    pargs = withFlag(withFlag(pargs, '--snapshot-tls-dir', await secretDir(`${fullname}-stream-proxy`, ns)), '--controller', `127.0.0.1:${controller.proxyPort}`);
    const keyFile = pargs.find((a) => a.startsWith('--affinity-key-file='));
    if (keyFile) {
      const secret = JSON.parse(await kubectlOk(['get', 'secret', `${fullname}-affinity-key`, '-n', ns, '-o', 'json']));
      const local = path.join(tempDir('wsgate-affinity-key-'), 'key');
      fs.writeFileSync(local, Buffer.from(secret.data.key, 'base64'), { mode: 0o600 });
      pargs = withFlag(pargs, '--affinity-key-file', local);
    }
    // No kubeconfig, and none to find: the data plane gets everything over the stream.
    const proxy = await startWsgate(pargs, { env: { KUBECONFIG: '/nonexistent', KUBERNETES_SERVICE_HOST: '' } });
    await eventually('data plane readyz', async () => (await fetch(`http://127.0.0.1:${proxy.adminPort}/readyz`)).status === 200, 300, 100);
    return { controller, proxy };
  } catch (err) {
    await controller.stop();
    throw err;
  }
}

/**
 * SIGTERM, then SIGKILL if wsgate has not exited after its drain grace plus a margin (a hung
 * shutdown is reported, not waited for).
 */
async function stopBounded(gw: WsgateChild | undefined, graceMs = 35_000): Promise<void> {
  if (!gw) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    gw.stop('SIGTERM').then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    console.log(`# wsgate (pid ${gw.child.pid}) did not exit ${graceMs} ms after SIGTERM; killing it. Last log lines:\n${gw.stderr().split('\n').slice(-15).join('\n')}`);
    await gw.stop('SIGKILL');
  }
}

/** Runs `check`; when it fails, adds the controller's permission errors to the message. */
async function explained<T>(gw: WsgateChild, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    const denied = gw.stderr().split('\n').filter((l) => /forbidden/i.test(l)).slice(-5);
    if (denied.length) (err as Error).message += `\nwsgate was refused by the API server (missing RBAC?):\n${denied.join('\n')}`;
    throw err;
  }
}

async function warningReasons(ns: string, route: string): Promise<string> {
  return eventually(`a Warning event on ${ns}/${route}`, async () => {
    const out = await kubectlOk(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${route},type=Warning`, '-o', 'jsonpath={.items[*].reason}']);
    return out.includes('Invalid') ? out : undefined;
  }, 300, 100);
}

function netnsUp(): boolean {
  return fs.existsSync(`/run/netns/${NETNS}`);
}

describe('chart against the e2e control plane', { skip: !clusterAvailable() && 'run `make e2e-up` (or `make chart-test`) first' }, () => {
  let pods: PodBackend[] = [];
  let gw: WsgateChild | undefined;
  /** Split mode's data plane, beside its controller `gw`. */
  let dataPlane: WsgateChild | undefined;
  let work = '';
  let createdInstallNs = false;
  let installed = false;
  let installed2 = false;

  before(async () => {
    await setupHelm();
    assert.ok(netnsUp(), `network namespace ${NETNS} is missing: run \`bash e2e/cluster/netns.sh up\``);
    work = tempDir('wsgate-chart-e2e-');
    // The release namespace enforces the "restricted" Pod Security Standard.
    await kubectlOk(['create', 'namespace', releaseNs]);
    await kubectlOk(['label', 'namespace', releaseNs, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
    await kubectlOk(['create', 'namespace', appNs]);
  }, HELM_SETUP);

  after(async () => {
    await stopBounded(dataPlane);
    await stopBounded(gw);
    await Promise.all(pods.map((p) => p.close()));
    if (installed) await helm(['uninstall', release, '--namespace', releaseNs, '--kubeconfig', kubeconfig], { timeoutMs: 120_000 });
    if (installed2) await helm(['uninstall', release2, '--namespace', releaseNs2, '--kubeconfig', kubeconfig], { timeoutMs: 120_000 });
    await kubectl(['delete', 'namespace', releaseNs, releaseNs2, appNs, '--wait=false', '--ignore-not-found']);
    if (createdInstallNs) await kubectl(['delete', 'namespace', 'wsgate', '--wait=false', '--ignore-not-found']);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('helm install creates every object; the pod template passes "restricted" Pod Security', async () => {
    const r = await helm(['install', release, chartDir, '--namespace', releaseNs, '--kubeconfig', kubeconfig, ...OFF_NODE], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, `helm install failed:\n${r.stderr}${r.stdout}`);
    installed = true;
    assert.match(r.stdout, /STATUS: deployed/);
    assert.match(r.stdout, new RegExp(`kubectl get lease -n ${releaseNs} ${fullname}-leader`), 'NOTES.txt');
    assert.doesNotMatch(r.stderr, /PodSecurity|would violate|[Ww]arning/, 'no admission warnings');

    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/websocketroutes.wsgate.io']);
    const names = (await kubectlOk(['get', 'deployment,service,serviceaccount,role,rolebinding,poddisruptionbudget', '-n', releaseNs, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])).trim().split('\n').sort();
    assert.deepEqual(names, [
      `deployment.apps/${fullname}`,
      `deployment.apps/${fullname}-controller`,
      `poddisruptionbudget.policy/${fullname}`,
      `role.rbac.authorization.k8s.io/${fullname}-affinity-key`,
      `role.rbac.authorization.k8s.io/${fullname}-leader-election`,
      `rolebinding.rbac.authorization.k8s.io/${fullname}-affinity-key`,
      `rolebinding.rbac.authorization.k8s.io/${fullname}-leader-election`,
      `service/${fullname}`,
      `service/${fullname}-admin`,
      `service/${fullname}-controller`,
      `serviceaccount/${fullname}`,
      `serviceaccount/${fullname}-controller`,
    ]);
    await kubectlOk(['get', `clusterrole/${fullname}`, `clusterrolebinding/${fullname}`]);
    // The API server allocated the LoadBalancer's node port and the Local policy's health check port.
    const svc = JSON.parse(await kubectlOk(['get', 'service', fullname, '-n', releaseNs, '-o', 'json']));
    assert.ok(svc.spec.ports[0].nodePort > 0 && svc.spec.healthCheckNodePort > 0);
    const list = JSON.parse((await helm(['list', '--namespace', releaseNs, '--kubeconfig', kubeconfig, '-o', 'json'])).stdout);
    assert.deepEqual(list.map((x: { name: string; status: string }) => `${x.name}:${x.status}`), [`${release}:deployed`]);

    // The Deployment's pods are kept off the node here (OFF_NODE): submit its pod template as a
    // Pod (server-side dry run) to run Pod Security admission ("enforce").
    for (const name of [fullname, `${fullname}-controller`]) {
      const deploy = JSON.parse(await kubectlOk(['get', 'deployment', name, '-n', releaseNs, '-o', 'json']));
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-check`, namespace: releaseNs, labels: deploy.spec.template.metadata.labels }, spec: deploy.spec.template.spec };
      const dry = await kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
      assert.equal(dry.code, 0, `the pod template of ${name} is refused:\n${dry.stderr}`);
      assert.doesNotMatch(dry.stderr, /PodSecurity|would violate/);
    }
  });

  test('every test values file renders objects the API server accepts (server-side dry run)', async () => {
    for (const file of valuesFiles()) {
      // Another release name: these are new objects, not the installed release's.
      const r = await helm(['template', `${release}dry`, chartDir, '--namespace', releaseNs, '-f', path.join(repoRoot, 'e2e/chart', file)]);
      assert.equal(r.code, 0, r.stderr);
      // Prometheus Operator kinds have no CRD here, and objects placed in other namespaces
      // (watched namespaces, the dashboard's) would need those namespaces: the rest is checked.
      const objs = parseObjects(r.stdout).filter(
        (o) => !o.apiVersion.startsWith('monitoring.coreos.com/') && (o.metadata.namespace === undefined || o.metadata.namespace === releaseNs),
      );
      assert.ok(objs.some((o) => o.kind === 'Deployment'));
      const dry = await kubectl(['apply', '--dry-run=server', '-f', '-'], toYaml(objs));
      assert.equal(dry.code, 0, `${file}: the API server refused:\n${dry.stderr}`);
      assert.deepEqual(dry.stderr.trim(), '', `${file}: no warnings (Pod Security "restricted" is enforced here)`);
      assert.equal(dry.stdout.trim().split('\n').length, objs.length, dry.stdout);
      assert.match(dry.stdout, / created \(server dry run\)/);
    }
  });

  test('keda.enabled: the ScaledObject is accepted by the apiserver (a ScaledObject schema written from KEDA\'s documentation)', async () => {
    const crd = path.join(repoRoot, 'e2e/chart/testdata/keda-scaledobject-crd.yaml');
    const hadCrd = (await kubectl(['get', 'crd', 'scaledobjects.keda.sh'])).code === 0;
    if (!hadCrd) await kubectlOk(['apply', '-f', crd]);
    try {
      await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/scaledobjects.keda.sh']);
      const r = await helm(['template', `${release}keda`, chartDir, '--namespace', releaseNs, '--set', 'keda.enabled=true']);
      assert.equal(r.code, 0, r.stderr);
      const so = one(parseObjects(r.stdout), 'ScaledObject');
      const dry = await kubectl(['apply', '--dry-run=server', '-f', '-'], toYaml([so]));
      assert.equal(dry.code, 0, `the API server refused the ScaledObject:\n${dry.stderr}`);
      assert.match(dry.stdout, /scaledobject\.keda\.sh\/\S+ created \(server dry run\)/);
      // The schema does check: a threshold that is not a string is refused.
      so.spec.triggers[0].metadata.threshold = 12000;
      const bad = await kubectl(['apply', '--dry-run=server', '-f', '-'], toYaml([so]));
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /threshold/);
    } finally {
      if (!hadCrd) await kubectl(['delete', '-f', crd, '--wait=false', '--ignore-not-found']);
    }
  });

  test('kubectl apply --dry-run=server -f manifests/install.yaml', async () => {
    const file = path.join(repoRoot, 'manifests/install.yaml');
    const objs = parseObjects(fs.readFileSync(file, 'utf8'));
    // A server-side dry run does not create the Namespace, so the namespaced objects need it for real.
    if ((await kubectl(['get', 'namespace', 'wsgate'])).code !== 0) {
      await kubectlOk(['apply', '-f', '-'], toYaml([objs[0]!]));
      createdInstallNs = true;
    }
    const r = await kubectl(['apply', '--dry-run=server', '-f', file]);
    assert.equal(r.code, 0, `kubectl apply --dry-run=server failed:\n${r.stderr}${r.stdout}`);
    // The only warning allowed: kubectl's note that the CRD (created by the helm install above,
    // with server-side apply) lacks its client-side last-applied annotation.
    const warnings = r.stderr.split('\n').filter((l) => l.trim() && !/last-applied-configuration/.test(l));
    assert.deepEqual(warnings, [], 'no admission warnings (Pod Security "restricted" is on for namespace wsgate)');
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, objs.length, r.stdout);
    for (const l of lines) assert.match(l, /(created|configured|unchanged) \(server dry run\)$/);
  });

  test('split mode as installed: the controller as its ServiceAccount (routes, status, Lease, events; nothing else), the data plane with no credentials at all', async () => {
    const kc = await impersonating(sa, path.join(work, 'impersonate.kubeconfig'));

    // Two backend "pods", their Service and EndpointSlice, and two routes: one good, one refused
    // by semantic validation (schema-valid, so only the controller can tell: an event).
    pods = await startPodBackends(['chart-pod-a', 'chart-pod-b'], 20);
    const port = pods[0]!.port;
    await kubectlOk(['apply', '-f', '-'], toYaml([
      service(appNs, 'echo', [{ name: 'ws', port: 80 }]),
      endpointSlice(appNs, 'echo-1', 'echo', { name: 'ws', port }, pods.map((p) => ({ ip: p.ip }))),
      wsRoute(appNs, 'echo', { match: { path: '/chart/{rest}' }, backend: { service: { name: 'echo', port: 'ws' }, path: '/{rest}' } }),
      wsRoute(appNs, 'bad-template', { match: { path: '/bad/pre{x}' }, backend: { service: { name: 'echo', port: 80 } } }),
    ]));
    const started = await startSplitAsDeployments(releaseNs, kc);
    const wsgate = (gw = started.controller);
    dataPlane = started.proxy;

    await explained(wsgate, async () => {
      // Routes served by the data plane, with the certificates the chart generated.
      const client = await connect(`${started.proxy.url}/chart/room`);
      assert.match(client.hello.backend, /^chart-pod-[ab]$/);
      assert.equal(client.hello.path, '/room');
      assert.equal(await client.echo('through the chart RBAC'), 'through the chart RBAC');
      await client.close();

      // Status written (leader only, merge patch on websocketroutes/status).
      await kubectlOk(['wait', '-n', appNs, '--for=jsonpath={.status.backends.ready}=2', '--timeout=60s', 'wsr/echo']);
      await kubectlOk(['wait', '-n', appNs, '--for=jsonpath={.status.conditions[?(@.type=="Ready")].status}=True', '--timeout=30s', 'wsr/echo']);
      await kubectlOk(['wait', '-n', appNs, '--for=jsonpath={.status.conditions[?(@.type=="Accepted")].reason}=Invalid', '--timeout=60s', 'wsr/bad-template']);

      // Lease held, in the release namespace, under the chart's name.
      const holder = await kubectlOk(['get', 'lease', `${fullname}-leader`, '-n', releaseNs, '-o', 'jsonpath={.spec.holderIdentity}']);
      assert.match(holder, new RegExp(`_${wsgate.child.pid}$`));
      assert.match(await (await fetch(`http://127.0.0.1:${wsgate.adminPort}/metrics`)).text(), /^wsgate_leader 1$/m);

      // Event created, in the route's namespace.
      assert.match(await warningReasons(appNs, 'bad-template'), /Invalid/);
    });

    // The controller never hit a permission error.
    assert.doesNotMatch(wsgate.stderr(), /forbidden/i);

    // And what the ServiceAccount may not do is refused.
    const pods403 = await kubectl(['get', 'pods', '--all-namespaces'], undefined, kc);
    assert.notEqual(pods403.code, 0);
    assert.match(pods403.stderr, /forbidden: User "system:serviceaccount:[^"]+" cannot list resource "pods"/);
    const spec403 = await kubectl(['patch', 'wsr', 'echo', '-n', appNs, '--type=merge', '-p', '{"spec":{"match":{"path":"/x"}}}'], undefined, kc);
    assert.notEqual(spec403.code, 0);
    assert.match(spec403.stderr, /forbidden/, 'the route spec is not writable');

    const may = async (args: string[]) => assert.equal(await canI(sa, args), true, `can-i ${args.join(' ')}`);
    const mayNot = async (args: string[]) => assert.equal(await canI(sa, args), false, `can-i ${args.join(' ')}`);
    await may(['watch', 'websocketroutes.wsgate.io', '--all-namespaces']);
    await may(['patch', 'websocketroutes.wsgate.io', '--subresource=status', '-n', appNs]);
    await may(['list', 'endpointslices.discovery.k8s.io', '--all-namespaces']);
    await may(['create', 'events', '-n', appNs]);
    await may(['update', `leases.coordination.k8s.io/${fullname}-leader`, '-n', releaseNs]);
    // Secrets: get/list/watch in every namespace (secrets.scope=all, the default), no writes.
    await may(['list', 'secrets', '--all-namespaces']);
    await mayNot(['create', 'secrets', '-n', appNs]);
    await mayNot(['list', 'pods', '--all-namespaces']);
    await mayNot(['list', 'pods', '-n', releaseNs]);
    await mayNot(['list', 'configmaps', '--all-namespaces']);
    await mayNot(['update', 'websocketroutes.wsgate.io', '-n', appNs]);
    await mayNot(['delete', 'services', '-n', appNs]);
    await mayNot(['update', 'leases.coordination.k8s.io/someone-else', '-n', releaseNs]);
    await mayNot(['create', 'leases.coordination.k8s.io', '-n', appNs]);
    await mayNot(['create', 'pods', '-n', releaseNs]);
    // The affinity key: the chart rendered none; the controller created it as this ServiceAccount
    // (create on Secrets of the release namespace only; the rest by name) and the data plane got
    // it over the stream.
    const keySecret = `${fullname}-affinity-key`;
    assert.equal(await kubectlOk(['get', 'secret', keySecret, '-n', releaseNs, '-o', 'jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}']), 'wsgate');
    await eventually('the data plane has the controller\'s key', () => started.proxy.stderr().includes('"source":"stream","msg":"session-affinity key loaded"'));
    await may(['create', 'secrets', '-n', releaseNs]);
    await may(['watch', `secrets/${keySecret}`, '-n', releaseNs]);
    await mayNot(['update', `secrets/${keySecret}`, '-n', releaseNs]);
    await mayNot(['delete', `secrets/${keySecret}`, '-n', releaseNs]);

    // The data plane's ServiceAccount: nothing beyond what every authenticated user may do (the
    // same list as a ServiceAccount that does not exist), and its pods mount no token.
    const list = async (as: string) => (await kubectlOk(['auth', 'can-i', '--list', `--as=${as}`, '-n', releaseNs])).trim();
    assert.equal(await list(proxySa), await list(`system:serviceaccount:${releaseNs}:no-such-account`));
    for (const args of [['list', 'secrets', '--all-namespaces'], ['get', 'secrets', '-n', releaseNs], ['list', 'websocketroutes.wsgate.io', '-n', appNs], ['get', 'leases.coordination.k8s.io', '-n', releaseNs]]) {
      assert.equal(await canI(proxySa, args), false, `the data plane: can-i ${args.join(' ')}`);
    }
    const proxyPod = JSON.parse(await kubectlOk(['get', 'deployment', fullname, '-n', releaseNs, '-o', 'json'])).spec.template.spec;
    assert.equal(proxyPod.automountServiceAccountToken, false);
    assert.equal(JSON.parse(await kubectlOk(['get', 'serviceaccount', fullname, '-n', releaseNs, '-o', 'json'])).automountServiceAccountToken, false);
  });

  test('a namespaced install in single-process mode (controller.watchNamespaces, TLS on): Roles in the watched namespace are enough', async () => {
    // The cluster-wide controller hands over: stop it, so only the namespaced one writes status.
    await stopBounded(dataPlane);
    dataPlane = undefined;
    await stopBounded(gw);
    gw = undefined;
    await kubectlOk(['create', 'namespace', releaseNs2]);
    const r = await helm([
      'install', release2, chartDir, '--namespace', releaseNs2, '--kubeconfig', kubeconfig,
      '--set', `controller.watchNamespaces={${appNs}}`, '--set', 'secrets.scope=namespaces', '--set', `secrets.namespaces={${appNs}}`,
      '--set', 'tls.enabled=true', '--set', 'replicaCount=1', '--set', 'service.type=ClusterIP', '--set', 'mode=single', ...OFF_NODE,
    ], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, `helm install (namespaced) failed:\n${r.stderr}${r.stdout}`);
    installed2 = true;
    assert.equal((await kubectlOk(['get', 'clusterroles,clusterrolebindings', '-l', `app.kubernetes.io/instance=${release2}`, '-o', 'name'])).trim(), '');
    await kubectlOk(['get', `role/${fullname2}`, `rolebinding/${fullname2}`, `role/${fullname2}-secrets`, '-n', appNs]);

    const kc = await impersonating(sa2, path.join(work, 'impersonate-namespaced.kubeconfig'));
    await kubectlOk(['apply', '-f', '-'], toYaml([
      wsRoute(appNs, 'late', { match: { path: '/late/{rest}' }, backend: { service: { name: 'echo', port: 80 }, path: '/{rest}' } }),
      wsRoute(appNs, 'bad-late', { match: { path: '/late/pre{x}' }, backend: { service: { name: 'echo', port: 80 } } }),
    ]));
    const wsgate = (gw = await startAsDeployment(fullname2, releaseNs2, kc));
    await explained(wsgate, async () => {
      const client = await connect(`${wsgate.url}/late/x`);
      assert.equal(client.hello.path, '/x');
      await client.close();
      await kubectlOk(['wait', '-n', appNs, '--for=jsonpath={.status.backends.ready}=2', '--timeout=60s', 'wsr/late']);
      await kubectlOk(['wait', '-n', appNs, '--for=jsonpath={.status.conditions[?(@.type=="Accepted")].reason}=Invalid', '--timeout=60s', 'wsr/bad-late']);
      assert.match(await warningReasons(appNs, 'bad-late'), /Invalid/);
      const holder = await kubectlOk(['get', 'lease', `${fullname2}-leader`, '-n', releaseNs2, '-o', 'jsonpath={.spec.holderIdentity}']);
      assert.match(holder, new RegExp(`_${wsgate.child.pid}$`));
    });
    assert.doesNotMatch(wsgate.stderr(), /forbidden/i);

    assert.equal(await canI(sa2, ['list', 'websocketroutes.wsgate.io', '-n', appNs]), true);
    assert.equal(await canI(sa2, ['list', 'websocketroutes.wsgate.io', '--all-namespaces']), false);
    assert.equal(await canI(sa2, ['list', 'websocketroutes.wsgate.io', '-n', releaseNs]), false);
    // Secrets only where secrets.namespaces says (the controller watches them there for TLS).
    assert.equal(await canI(sa2, ['watch', 'secrets', '-n', appNs]), true);
    assert.equal(await canI(sa2, ['get', 'secrets', '-n', releaseNs2]), false);
    assert.equal(await canI(sa2, ['list', 'secrets', '--all-namespaces']), false);
  });
});

// Two releases of the chart in one cluster with different route classes (docs/shared-clusters.md
// #route-classes): `external`, the default install, and `internal` (controller.defaultClass
// false). Both are real `helm install`s (their RBAC, Roles in the one watched namespace, Leases);
// their pods are kept off the node (OFF_NODE: the node runs the image of main's `make image`,
// which a worktree must not replace), and each controller runs outside the cluster with exactly
// its installed Deployment's arguments, as its own ServiceAccount (impersonated).
describe('two releases with different route classes in one cluster', { skip: !clusterAvailable() && 'run `make e2e-up` (or `make chart-test`) first' }, () => {
  const sfx = `${process.pid % 100000}-${Date.now() % 1000}`;
  const routesNs = `classes-app-${sfx}`;
  const installs = {
    internal: { release: `wsi${process.pid % 100000}`, ns: `classes-int-${sfx}`, sets: ['controller.className=internal', 'controller.defaultClass=false'] },
    external: { release: `wse${process.pid % 100000}`, ns: `classes-ext-${sfx}`, sets: ['controller.className=external'] },
  };
  const installed: Array<keyof typeof installs> = [];
  const running: WsgateChild[] = [];
  let backend: EchoServer;
  let work = '';

  const route = (name: string, className: string | undefined, backendSpec: object) => wsRoute(routesNs, name, { ...(className ? { className } : {}), match: { path: `/${name}` }, backend: backendSpec });
  const toEcho = () => ({ endpoints: [{ host: '127.0.0.1', port: backend.port }] });
  /** Refused with ResolvedRefs=False (no such Service): its install records a Warning event. */
  const toNothing = { service: { name: 'missing', port: 80 } };
  const accepted = (name: string) => kubectlOk(['get', 'wsr', name, '-n', routesNs, '-o', 'jsonpath={.status.conditions[?(@.type=="Accepted")].status}']);
  const resourceVersion = (name: string) => kubectlOk(['get', 'wsr', name, '-n', routesNs, '-o', 'jsonpath={.metadata.resourceVersion}']);
  const eventReasons = async (name: string) =>
    (await kubectlOk(['get', 'events', '-n', routesNs, '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.reason}/{.count}{"\\n"}{end}'])).split('\n').filter(Boolean);
  const scrape = async (gw: WsgateChild) => (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();

  async function install(which: keyof typeof installs): Promise<WsgateChild> {
    const { release: rel, ns, sets } = installs[which];
    await kubectlOk(['create', 'namespace', ns]);
    const r = await helm([
      'install', rel, chartDir, '--namespace', ns, '--kubeconfig', kubeconfig,
      '--set', 'mode=single', '--set', 'replicaCount=1', '--set', 'service.type=ClusterIP',
      '--set', `controller.watchNamespaces={${routesNs}}`, '--set', 'secrets.scope=namespaces', '--set', `secrets.namespaces={${routesNs}}`,
      ...sets.flatMap((v) => ['--set', v]), ...OFF_NODE,
    ], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, `helm install ${rel} failed:\n${r.stderr}${r.stdout}`);
    installed.push(which);
    const kc = await impersonating(`system:serviceaccount:${ns}:${rel}-wsgate`, path.join(work, `${which}.kubeconfig`));
    const gw = await startAsDeployment(`${rel}-wsgate`, ns, kc);
    running.push(gw);
    return gw;
  }

  let internal: WsgateChild;
  let external: WsgateChild;

  before(async () => {
    await setupHelm();
    work = tempDir('wsgate-chart-classes-');
    backend = await startEchoServer({ name: 'b1' });
    await kubectlOk(['create', 'namespace', routesNs]);
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['apply', '-f', '-'], toYaml([
      route('inside', 'internal', toEcho()),
      route('inside-broken', 'internal', toNothing),
      route('outside', 'external', toEcho()),
      route('outside-broken', 'external', toNothing),
      route('unclassed', undefined, toEcho()),
    ]));
  }, HELM_SETUP);

  after(async () => {
    for (const gw of running) await stopBounded(gw);
    for (const which of installed) {
      const { release: rel, ns } = installs[which];
      await helm(['uninstall', rel, '--namespace', ns, '--kubeconfig', kubeconfig], { timeoutMs: 120_000 });
    }
    await kubectl(['delete', 'namespace', routesNs, installs.internal.ns, installs.external.ns, '--wait=false', '--ignore-not-found']);
    await backend?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the internal release alone: status and events only on its own routes; the others untouched', async () => {
    internal = await install('internal');
    const args = JSON.parse(await kubectlOk(['get', 'deployment', `${installs.internal.release}-wsgate`, '-n', installs.internal.ns, '-o', 'json'])).spec.template.spec.containers[0].args as string[];
    assert.ok(args.includes('--class=internal') && args.includes('--no-default-class'), args.join(' '));
    await explained(internal, async () => {
      await eventually('inside accepted', async () => (await accepted('inside')) === 'True', 300, 100);
      await eventually('an event on inside-broken', async () => (await eventReasons('inside-broken')).length > 0, 300, 100);
      // The log line follows a whole status pass: everything this install would write is written.
      await eventually('a finished status pass', async () => internal.stderr().includes('"msg":"route statuses updated"'), 300, 100);
    });
    for (const other of ['outside', 'outside-broken', 'unclassed']) {
      assert.equal(await accepted(other), '', `${other} has no status`);
      assert.deepEqual(await eventReasons(other), [], `${other} has no event`);
    }
  });

  test('the external release (the default): serves its routes and the unclassed one; the internal routes keep exactly what the internal release wrote', async () => {
    const before = { inside: await resourceVersion('inside'), insideBroken: await resourceVersion('inside-broken'), events: await eventReasons('inside-broken') };
    external = await install('external');
    await explained(external, async () => {
      await eventually('outside and unclassed accepted', async () => (await accepted('outside')) === 'True' && (await accepted('unclassed')) === 'True', 300, 100);
      await eventually('an event on outside-broken', async () => (await eventReasons('outside-broken')).length > 0, 300, 100);
      await eventually('a finished status pass', async () => external.stderr().includes('"msg":"route statuses updated"'), 300, 100);
    });
    // Not one write on the other class's routes: not their status, not an event.
    assert.equal(await resourceVersion('inside'), before.inside);
    assert.equal(await resourceVersion('inside-broken'), before.insideBroken);
    assert.deepEqual(await eventReasons('inside-broken'), before.events);
    // Each release holds its own Lease.
    for (const [which, gw] of [['internal', internal], ['external', external]] as const) {
      const { release: rel, ns } = installs[which];
      const holder = await kubectlOk(['get', 'lease', `${rel}-wsgate-leader`, '-n', ns, '-o', 'jsonpath={.spec.holderIdentity}']);
      assert.match(holder, new RegExp(`_${gw.child.pid}$`), which);
    }
  });

  test('traffic: each release serves only its own class (404 for the other\'s paths)', async () => {
    assert.equal(await expectStatus(`${internal.url}/inside`), 101);
    assert.equal(await expectStatus(`${internal.url}/outside`), 404);
    assert.equal(await expectStatus(`${internal.url}/unclassed`), 404);
    assert.equal(await expectStatus(`${external.url}/outside`), 101);
    assert.equal(await expectStatus(`${external.url}/unclassed`), 101);
    assert.equal(await expectStatus(`${external.url}/inside`), 404);
  });

  test('metrics: no series of the other release\'s routes', async () => {
    const inside = await scrape(internal);
    assert.match(inside, /route="inside"/);
    assert.doesNotMatch(inside, /route="(outside|outside-broken|unclassed)"/);
    const outside = await scrape(external);
    assert.match(outside, /route="outside"/);
    assert.match(outside, /route="unclassed"/);
    assert.doesNotMatch(outside, /route="(inside|inside-broken)"/);
    for (const gw of running) assert.doesNotMatch(gw.stderr(), /forbidden/i);
  });
});
