// An Ingress's annotations of the two NGINX controllers, read through one object that
// remembers which ones a mapping used: whatever is left at the end is reported as not
// converted, so a new annotation can never be dropped silently.

export const NGINX = 'nginx.ingress.kubernetes.io/';
/** NGINX Inc.'s controller (nginx/kubernetes-ingress). */
export const NGINX_ORG = 'nginx.org/';
const CERT_MANAGER = /^(cert-manager\.io|acme\.cert-manager\.io)\//;

export class Annotations {
  private readonly used = new Set<string>();

  constructor(private readonly all: Record<string, string>) {}

  /** nginx.ingress.kubernetes.io/<name>, trimmed; marks it used. */
  get(name: string): string | undefined {
    return this.take(NGINX + name);
  }

  /** nginx.org/<name>. */
  org(name: string): string | undefined {
    return this.take(NGINX_ORG + name);
  }

  has(name: string): boolean {
    return this.all[NGINX + name] !== undefined;
  }

  private take(key: string): string | undefined {
    const v = this.all[key];
    if (v === undefined) return undefined;
    this.used.add(key);
    return String(v).trim();
  }

  /** Annotations of the controllers (and cert-manager's) that no mapping used, sorted by key. */
  unused(): Array<{ key: string; value: string }> {
    return Object.keys(this.all)
      .filter((k) => !this.used.has(k) && (k.startsWith(NGINX) || k.startsWith(NGINX_ORG) || CERT_MANAGER.test(k)))
      .sort()
      .map((key) => ({ key, value: String(this.all[key]) }));
  }
}

/** "a, b c" -> ["a", "b", "c"]. */
export function splitList(v: string | undefined): string[] {
  return (v ?? '').split(/[\s,]+/).filter(Boolean);
}

export function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(true|on|yes|1)$/i.test(v);
}

/** Why annotations without a mapping are left out, for the ones users meet most. */
export const UNMAPPED_REASONS: Array<{ match: RegExp; reason: string }> = [
  { match: /(whitelist|allowlist|denylist)-source-range$/, reason: 'wsgate has no client address filter; use a NetworkPolicy on the wsgate pods or the load balancer\'s source ranges' },
  { match: /(ssl-redirect|force-ssl-redirect)$/, reason: 'wsgate does not redirect plain HTTP to HTTPS; a route with tls is also served on the plain listener' },
  { match: /(enable-cors|cors-.*)$/, reason: 'wsgate sends no CORS headers; for WebSockets, security.allowedOrigins checks the Origin instead' },
  { match: /(auth-.*|satisfy)$/, reason: 'external and basic authentication have no wsgate equivalent; see security.auth (JWT, API keys)' },
  { match: /canary(-.*)?$/, reason: 'wsgate has no weighted or header-based canary routing' },
  { match: /limit-(rps|rpm|burst-multiplier|whitelist|allowlist|rate.*)$/, reason: 'no exact equivalent: limits.upgradesPerSecondPerClient counts upgrades only' },
  { match: /(proxy-body-size|client-body-buffer-size|proxy-buffering|proxy-buffer-size|proxy-buffers-number|proxy-request-buffering|proxy-max-temp-file-size)$/, reason: 'wsgate streams bodies and frames without buffering and has no body size limit' },
  { match: /(proxy-next-upstream.*)$/, reason: 'wsgate retries a refused upgrade on the next endpoint (up to 3 tries); the conditions are not configurable' },
  { match: /(upstream-vhost|x-forwarded-prefix|proxy-redirect-.*|proxy-cookie-.*|proxy-http-version|custom-headers|preserve-trailing-slash)$/, reason: 'wsgate has no such request or response rewrite' },
  { match: /(mirror-.*|custom-http-errors|default-backend|permanent-redirect.*|temporal-redirect.*|app-root|from-to-www-redirect)$/, reason: 'wsgate has no mirroring, redirects or error pages' },
  { match: /(enable-access-log|enable-opentelemetry|enable-opentracing|opentelemetry-.*|enable-modsecurity|modsecurity-.*|enable-owasp-core-rules)$/, reason: 'wsgate always writes its access log and passes traceparent; it has no WAF' },
  { match: /^(cert-manager\.io|acme\.cert-manager\.io)\//, reason: 'cert-manager issues certificates for Ingresses, not WebSocketRoutes: keep a Certificate resource for the Secret in tls.secretRef' },
];
