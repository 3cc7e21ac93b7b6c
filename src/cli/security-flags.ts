// The security flags every serving command shares (and the few only one has; a proxy's Secrets
// arrive in its snapshots, so it has neither a directory nor a watch of its own), and their translation
// into the process's SecurityOptions.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_AFFINITY_KEY_GRACE, DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_CLIENT_IPV6_PREFIX, DEFAULT_PATH_ESCAPED_SLASHES, DEFAULT_PATH_MERGE_SLASHES, DEFAULT_PATH_SEMICOLONS, MIN_TLS_VERSION } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import type { HostPort, SecurityOptions } from '../process.js';
import { TrustedProxies } from '../security/client-address.js';
import { ipv6PrefixProblem } from '../security/client-group.js';
import { cipherProblem, curveProblem, parseAlpn, policyProblem, TLS_VERSIONS, type AlpnProtocol, type TlsPolicy, type TlsVersion } from '../api/tls-policy.js';
import { parseHostPort } from './host-port.js';

function hostPort(value: string): HostPort {
  try {
    return parseHostPort(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** "10s", "500ms", or a plain number of milliseconds. */
export function durationMs(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function cidrs(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    new TrustedProxies(list);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return list;
}

/** A ':'-separated list checked by `problem` (cipher suites, curves): a typo stops the start. */
function checkedList(problem: (list: string) => string | undefined): (value: string) => string {
  return (value) => {
    const p = problem(value);
    if (p) throw new InvalidArgumentError(p);
    return value;
  };
}

function alpnList(value: string): AlpnProtocol[] {
  const parsed = parseAlpn(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.message);
  return parsed.alpn;
}

function ipv6Prefix(value: string): number {
  const problem = ipv6PrefixProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return Number(value);
}

function secretName(value: string): { namespace: string; name: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not NAMESPACE/NAME`);
  return { namespace: m[1]!, name: m[3]! };
}

export function addSecurityFlags(cmd: Command, mode: 'standalone' | 'controller' | 'proxy'): Command {
  cmd
    .option('--tls-listen <host:port>', 'TLS (wss://) listener; certificates by SNI from routes\' spec.tls (off unless given)', hostPort)
    .option('--tls-default-secret <namespace/name>', 'kubernetes.io/tls Secret used when no route\'s certificate matches the SNI name (or no SNI is sent)', secretName)
    .option('--trusted-proxies <cidrs>', 'comma-separated CIDRs of proxies in front of wsgate whose X-Forwarded-For is believed', cidrs, [])
    .option('--client-ipv6-prefix <bits>', 'IPv6 clients whose addresses share this many leading bits are one client for per-client limits and sourceIP hashing (128: each address); X-Forwarded-For and logs keep the full address', ipv6Prefix, DEFAULT_CLIENT_IPV6_PREFIX)
    .option('--proxy-protocol <cidrs>', 'comma-separated CIDRs of balancers that open every connection with a PROXY protocol header (v1 or v2; anyone else sending one is refused); the client it carries is the client identity', cidrs, [])
    .addOption(new Option('--tls-min-version <version>', 'oldest TLS version the TLS listener (and Gateway HTTPS sockets) accept').choices([...TLS_VERSIONS]).default(MIN_TLS_VERSION))
    .addOption(new Option('--tls-max-version <version>', 'newest TLS version offered (default: the newest Node has)').choices([...TLS_VERSIONS]))
    .option('--tls-ciphers <list>', 'cipher suites, OpenSSL names joined by ":" (TLS 1.2 names such as ECDHE-RSA-AES128-GCM-SHA256; TLS 1.3 names such as TLS_AES_256_GCM_SHA384; a list with no TLS 1.3 name keeps the TLS 1.3 defaults)', checkedList(cipherProblem))
    .option('--tls-ecdh-curves <list>', 'ECDH groups joined by ":" in preference order (e.g. X25519:P-256)', checkedList(curveProblem))
    .option('--tls-alpn <list>', 'ALPN protocols the TLS listener and Gateway HTTPS sockets offer, preferred first, joined by "," (default h2,http/1.1)', alpnList)
    .option('--no-http2', 'offer only http/1.1 by ALPN: no HTTP/2 on TLS listeners (same as --tls-alpn http/1.1)')
    .option('--h2c', 'the plain listener (--listen) also takes HTTP/2 with prior knowledge (h2c), told apart by its preface', false)
    .option('--handshake-timeout <duration>', 'a connection must finish TLS and send its complete request head within this (408 after)', durationMs, DEFAULT_HANDSHAKE_TIMEOUT_MS)
    .option('--affinity-key-file <file>', 'key that signs session-affinity cookies; give every replica the same one (default: a random key made at start, which no other process shares); watched: a changed key applies without a restart')
    .option('--affinity-key-grace <duration>', 'after the affinity key changed, cookies signed with the previous key stay valid this long (their clients get new ones); then they are stale', durationMs, parseDuration(DEFAULT_AFFINITY_KEY_GRACE));
  addPathFlags(cmd);
  // The versions' order needs both flags: checked once all are read, as one line and exit 1.
  cmd.hook('preAction', (command) => {
    const flags = command.opts<SecurityFlags>();
    if (!flags.http2 && flags.tlsAlpn?.includes('h2')) command.error('error: --no-http2 and --tls-alpn with h2 contradict each other');
    const problem = policyProblem(policyFlags(flags));
    if (problem) command.error(`error: --tls-min-version/--tls-max-version: ${problem}`);
  });
  if (mode === 'standalone') {
    cmd
      .option('--secrets-dir <dir>', 'Secrets as files DIR/<namespace>/<name>/<key> (the layout of mounted Secrets); watched for changes')
      .option('--tls-cert <file>', 'default certificate chain (PEM) for the TLS listener, with --tls-key; read at start')
      .option('--tls-key <file>', 'private key (PEM) of --tls-cert');
  } else if (mode === 'controller') {
    cmd
      .option('--secret-namespaces <list>', 'namespaces whose Secrets are watched (default: the watched namespaces)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .option('--no-watch-secrets', 'watch no Secrets (no RBAC for them); routes referencing Secrets then fail closed')
      .option('--affinity-key-secret <namespace/name>', 'read the session-affinity key from this Secret (data key "key") and watch it: a changed key applies without a restart; split mode hands it to the proxies over the snapshot stream (instead of --affinity-key-file)', secretName)
      .option('--affinity-key-create', 'with --affinity-key-secret: create the Secret with a random key when it is missing (replicas racing to create it end with one key)', false);
  }
  return cmd;
}

/**
 * Path normalisation (docs/security.md): process-wide, since it runs before a route is
 * known. The slash merge has both spellings (--path-merge-slashes, --no-path-merge-slashes).
 */
function addPathFlags(cmd: Command): void {
  cmd
    .addOption(new Option('--path-merge-slashes', 'merge "//" runs in request paths into one "/" before matching and forwarding').default(DEFAULT_PATH_MERGE_SLASHES))
    .option('--no-path-merge-slashes', 'keep "//" in request paths as sent')
    .addOption(
      new Option('--path-escaped-slashes <action>', '%2F and %5C in a request path: reject (400) or keep (forwarded encoded; one segment for matching)')
        .choices(['reject', 'keep'])
        .default(DEFAULT_PATH_ESCAPED_SLASHES),
    )
    .addOption(
      new Option('--path-semicolons <action>', '";" and %3B in a request path: reject (400; servlet containers cut ";params" from segments) or keep')
        .choices(['reject', 'keep'])
        .default(DEFAULT_PATH_SEMICOLONS),
    );
}

export interface SecurityFlags {
  tlsListen?: HostPort;
  tlsDefaultSecret?: { namespace: string; name: string };
  trustedProxies: string[];
  clientIpv6Prefix: number;
  proxyProtocol: string[];
  handshakeTimeout: number;
  tlsMinVersion: TlsVersion;
  tlsMaxVersion?: TlsVersion;
  tlsCiphers?: string;
  tlsEcdhCurves?: string;
  tlsAlpn?: AlpnProtocol[];
  /** False with --no-http2. */
  http2: boolean;
  h2c: boolean;
  tlsCert?: string;
  tlsKey?: string;
  affinityKeyFile?: string;
  affinityKeyGrace: number;
  pathMergeSlashes: boolean;
  pathEscapedSlashes: 'reject' | 'keep';
  pathSemicolons: 'reject' | 'keep';
}

export function securityOptions(flags: SecurityFlags): SecurityOptions {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together');
  return {
    tlsPolicy: policyFlags(flags),
    trustedProxies: flags.trustedProxies,
    clientIpv6Prefix: flags.clientIpv6Prefix,
    proxyProtocol: flags.proxyProtocol,
    handshakeTimeoutMs: flags.handshakeTimeout,
    ...(flags.h2c ? { h2c: true } : {}),
    paths: { mergeSlashes: flags.pathMergeSlashes, escapedSlashes: flags.pathEscapedSlashes, semicolons: flags.pathSemicolons },
    ...(flags.tlsListen ? { tlsListen: flags.tlsListen } : {}),
    ...(flags.tlsDefaultSecret ? { tlsDefaultSecret: flags.tlsDefaultSecret } : {}),
    ...(flags.tlsCert && flags.tlsKey ? { tlsDefaultFiles: { cert: flags.tlsCert, key: flags.tlsKey } } : {}),
  };
}

function policyFlags(flags: SecurityFlags): TlsPolicy {
  return {
    minVersion: flags.tlsMinVersion,
    ...(flags.tlsMaxVersion ? { maxVersion: flags.tlsMaxVersion } : {}),
    ...(flags.tlsCiphers ? { ciphers: flags.tlsCiphers } : {}),
    ...(flags.tlsEcdhCurves ? { ecdhCurves: flags.tlsEcdhCurves } : {}),
    ...(flags.http2 === false ? { alpn: ['http/1.1'] as AlpnProtocol[] } : flags.tlsAlpn ? { alpn: flags.tlsAlpn } : {}),
  };
}

/** " tls=HOST:PORT" for the listening line, when the TLS listener runs. */
export function tlsSuffix(bound: { tls?: HostPort }): string {
  return bound.tls ? ` tls=${bound.tls.host}:${bound.tls.port}` : '';
}
