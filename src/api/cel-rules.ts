// The CRD's x-kubernetes-validations (CEL) rules, each with the same check written in
// TypeScript, so `wsgate standalone` and `wsgate validate` refuse exactly what the apiserver
// refuses, with the same message. test/api/cel-rules.test.ts fails when this table and the
// CRD differ in any rule, message, fieldPath or reason.
//
// Each check receives the node the rule is attached to, already known to be present. It
// returns true when the node's other fields have the wrong type: the schema check reports
// that, and one mistake should give one problem.

import { formatFieldPath, joinFieldPath, type PathSegment } from './field-path.js';
import type { Problem } from './problem.js';

export interface CelRule {
  /** Schema path of the node carrying the rule: 'spec.backend'; '[]' steps into list items. */
  path: string;
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: string;
  holds: (self: unknown) => boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
/** CEL's has(): the field is present (nulls were pruned before validation). */
const has = (o: Obj, key: string): boolean => o[key] !== undefined;
const PLACEHOLDER = /[{][A-Za-z_][A-Za-z0-9_]*[}]/g;

export const CEL_RULES: readonly CelRule[] = [
  {
    path: 'spec',
    rule: "!has(self.backend.path) || self.backend.path.findAll('[{][A-Za-z_][A-Za-z0-9_]*[}]').all(p, self.match.path.contains(p))",
    message: 'every {placeholder} in backend.path must also appear in match.path',
    fieldPath: '.backend.path',
    reason: 'FieldValueInvalid',
    holds: (self) => {
      if (!isObj(self) || !isObj(self.backend) || !isObj(self.match)) return true;
      const target = self.backend.path;
      const source = self.match.path;
      if (typeof target !== 'string' || typeof source !== 'string') return true;
      return (target.match(PLACEHOLDER) ?? []).every((p) => source.includes(p));
    },
  },
  {
    path: 'spec',
    rule: '!has(self.tls) || (has(self.hosts) && size(self.hosts) > 0)',
    message: 'tls requires hosts, since the certificate is chosen by the host name the client asks for (SNI)',
    fieldPath: '.tls',
    reason: 'FieldValueRequired',
    holds: (self) => !isObj(self) || !has(self, 'tls') || (Array.isArray(self.hosts) ? self.hosts.length > 0 : self.hosts !== undefined),
  },
  {
    path: 'spec',
    rule: "!has(self.sessionAffinity) || !has(self.loadBalancer) || !has(self.loadBalancer.policy) || self.loadBalancer.policy != 'ConsistentHash'",
    message: 'sessionAffinity cannot be combined with policy ConsistentHash (both decide the endpoint); use one of them',
    fieldPath: '.sessionAffinity',
    reason: 'FieldValueForbidden',
    holds: (self) => !isObj(self) || !has(self, 'sessionAffinity') || !isObj(self.loadBalancer) || self.loadBalancer.policy !== 'ConsistentHash',
  },
  {
    path: 'spec.backend',
    rule: 'has(self.service) != has(self.endpoints)',
    message: 'backend must set exactly one of service or endpoints',
    reason: 'FieldValueInvalid',
    holds: (self) => !isObj(self) || has(self, 'service') !== has(self, 'endpoints'),
  },
  {
    path: 'spec.backend',
    rule: "!has(self.tls) || (has(self.scheme) && self.scheme == 'wss')",
    message: 'backend.tls is only allowed with scheme wss',
    fieldPath: '.tls',
    reason: 'FieldValueForbidden',
    holds: (self) => !isObj(self) || !has(self, 'tls') || self.scheme === 'wss',
  },
  {
    path: 'spec.backend',
    rule: "!has(self.protocol) || self.protocol != 'h2c' || !has(self.scheme) || self.scheme != 'wss'",
    message: 'backend.protocol h2c is HTTP/2 without TLS and cannot be combined with scheme wss',
    fieldPath: '.protocol',
    reason: 'FieldValueForbidden',
    holds: (self) => !isObj(self) || self.protocol !== 'h2c' || self.scheme !== 'wss',
  },
  {
    path: 'spec.backend.service.port',
    rule: "type(self) == int ? (self >= 1 && self <= 65535) : (size(self) <= 15 && self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && self.matches('[a-z]'))",
    message: "port must be a number from 1 to 65535 or a port name of at most 15 lowercase letters, digits and '-'",
    reason: 'FieldValueInvalid',
    holds: (self) => {
      if (typeof self === 'number') return !Number.isInteger(self) || (self >= 1 && self <= 65535);
      if (typeof self === 'string') {
        return self.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(self) && /[a-z]/.test(self);
      }
      return true;
    },
  },
  {
    path: 'spec.backend.tls',
    rule: '!has(self.caSecretRef) || !has(self.insecureSkipVerify) || !self.insecureSkipVerify',
    message: 'caSecretRef has no effect with insecureSkipVerify true; set one or the other',
    fieldPath: '.caSecretRef',
    reason: 'FieldValueForbidden',
    holds: (self) => !isObj(self) || !has(self, 'caSecretRef') || self.insecureSkipVerify !== true,
  },
  {
    path: 'spec.loadBalancer',
    rule: "!has(self.hashOn) || (has(self.policy) && self.policy == 'ConsistentHash')",
    message: 'hashOn is only allowed with policy ConsistentHash',
    fieldPath: '.hashOn',
    reason: 'FieldValueForbidden',
    holds: (self) => !isObj(self) || !has(self, 'hashOn') || self.policy === 'ConsistentHash',
  },
  {
    path: 'spec.loadBalancer',
    rule: "!has(self.policy) || self.policy != 'ConsistentHash' || has(self.hashOn)",
    message: 'policy ConsistentHash requires hashOn',
    fieldPath: '.hashOn',
    reason: 'FieldValueRequired',
    holds: (self) => !isObj(self) || self.policy !== 'ConsistentHash' || has(self, 'hashOn'),
  },
  {
    path: 'spec.loadBalancer.hashOn',
    rule: '[has(self.header), has(self.cookie), has(self.query), has(self.sourceIP) && self.sourceIP].exists_one(x, x)',
    message: 'hashOn must set exactly one of header, cookie, query or sourceIP true',
    reason: 'FieldValueInvalid',
    holds: (self) => {
      if (!isObj(self)) return true;
      const set = [has(self, 'header'), has(self, 'cookie'), has(self, 'query'), self.sourceIP === true];
      return set.filter(Boolean).length === 1;
    },
  },
  {
    path: 'spec.security.auth',
    rule: 'has(self.jwt) || has(self.apiKeys)',
    message: 'auth must set jwt, apiKeys or both',
    reason: 'FieldValueRequired',
    holds: (self) => !isObj(self) || has(self, 'jwt') || has(self, 'apiKeys'),
  },
  {
    path: 'spec.sessionAffinity',
    rule: "!has(self.cookie.sameSite) || self.cookie.sameSite != 'None' || !has(self.cookie.secure) || self.cookie.secure != 'false'",
    message: 'sameSite None requires a Secure cookie (browsers drop it otherwise); secure may not be "false"',
    fieldPath: '.cookie.secure',
    reason: 'FieldValueForbidden',
    holds: (self) => !isObj(self) || !isObj(self.cookie) || self.cookie.sameSite !== 'None' || self.cookie.secure !== 'false',
  },
];

/** Runs every mirrored rule on every node it applies to. */
export function checkCelRules(doc: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const rule of CEL_RULES) {
    for (const { node, at } of nodesAt(doc, rule.path.split('.'))) {
      if (!rule.holds(node)) problems.push({ field: formatFieldPath(joinFieldPath(at, rule.fieldPath)), reason: rule.message });
    }
  }
  return problems;
}

/** Every present node at a schema path; 'x[]' visits each item of list x. */
function nodesAt(root: unknown, steps: string[]): Array<{ node: unknown; at: PathSegment[] }> {
  let found: Array<{ node: unknown; at: PathSegment[] }> = [{ node: root, at: [] }];
  for (const step of steps) {
    const list = step.endsWith('[]');
    const key = list ? step.slice(0, -2) : step;
    const next: typeof found = [];
    for (const { node, at } of found) {
      if (!isObj(node) || node[key] === undefined) continue;
      const child = node[key];
      if (!list) next.push({ node: child, at: [...at, key] });
      else if (Array.isArray(child)) child.forEach((item, i) => next.push({ node: item, at: [...at, key, i] }));
    }
    found = next;
  }
  return found;
}
