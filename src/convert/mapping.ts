// The mapping table, printed by `wsgate convert --help` (and copied into docs/migrating.md's
// "Mapping" section), so users can see what becomes what before running it.

export const MAPPING_HELP = `
Format: guessed per file (an ocelot.json object with Routes/ReRoutes, or YAML/JSON holding
Ingresses, also as a List) unless --from is given. "-" reads standard input. Routes go to
standard output, the report (every field not converted, and why) to standard error.
Exit status: 0; 1 with --strict when something was not converted; 2 when an input is unusable.

ingress-nginx (networking.k8s.io/v1 Ingress; one route per host, path and backend)
  spec.ingressClassName, kubernetes.io/ingress.class
                                      spec.className (WARNING for another controller's class, such as nginx)
  rules[].host, server-alias          spec.hosts
  Prefix /a                           match.path /a/{rest} (whole segments, as Kubernetes)
  Exact /a                            match.path /a
  ImplementationSpecific              as Prefix (noted)
  use-regex / regex paths             reduced when they are /a(/|$)(.*), /a/(.*), /a$ or a prefix; else reported
  rewrite-target                      backend.path ($N of the rest group -> {rest})
  service.name, port.number|name      backend.service
  defaultBackend                      /{rest} for each rule host (lowest precedence)
  spec.tls[].secretName               tls.secretRef for the hosts it lists
  backend-protocol HTTPS              backend.scheme wss (GRPC, AJP, FCGI: reported)
  proxy-ssl-secret (verify on)        backend.tls.caSecretRef (client certificate reported)
  proxy-ssl-name                      backend.tls.serverName
  proxy-ssl-verify off (the default)  WARNING: wsgate verifies backend certificates
  proxy-read/send-timeout (s)         timeouts.idle = the larger (unset one = 60s)
  proxy-connect-timeout (s)           timeouts.connect
  affinity: cookie                    sessionAffinity.cookie
    session-cookie-name               cookie.name (default INGRESSCOOKIE)
    session-cookie-max-age/-expires   cookie.maxAge
    session-cookie-path               cookie.path (default: the Ingress path)
    session-cookie-samesite/-secure   cookie.sameSite / cookie.secure ("true"/"false")
  upstream-hash-by $http_x/$cookie_x/$arg_x/$remote_addr
                                      loadBalancer ConsistentHash, hashOn header/cookie/query/sourceIP
                                      (dropped with a note beside affinity: cookie)
  load-balance round_robin/least_conn/ewma
                                      RoundRobin / LeastConnections / PowerOfTwoChoices
  limit-connections                   limits.maxConnectionsPerClient
  configuration-/server-snippet       never interpreted: Upgrade/Connection lines dropped, the rest reported
  (every path)                        spec.http.methods: all seven (an Ingress also served plain HTTP)
  nginx.org/websocket-services        only the listed services are converted
  nginx.org/ssl-services, lb-method, proxy-*-timeout
                                      as their ingress-nginx counterparts
  whitelist/denylist-source-range, auth-*, canary, cors, redirects ...
                                      reported: no wsgate equivalent

Ocelot (ocelot.json Routes, or ReRoutes before 16; DownstreamScheme ws/wss only)
  UpstreamPathTemplate                match.path ({everything} placeholders as they are)
  DownstreamPathTemplate              backend.path
  UpstreamHost                        spec.hosts
  UpstreamHeaderTemplates (fixed)     match.headers
  DownstreamHostAndPorts              backend.endpoints
  ServiceName(+Namespace), Kube provider
                                      backend.service; port named like the scheme, else the first
  LoadBalancerOptions.Type            LeastConnection -> LeastConnections, RoundRobin -> RoundRobin,
                                      NoLoadBalancer/unset -> the first host only,
                                      CookieStickySessions -> sessionAffinity (wsgate's own cookie)
  UpstreamHttpMethod                  spec.http.methods
  Priority, RouteIsCaseSensitive      reported where they change which route wins
  DangerousAcceptAnyServerCertificateValidator
                                      backend.tls.insecureSkipVerify: true (WARNING)
  AuthenticationOptions, RateLimitOptions, QoSOptions, header transforms ...
                                      not applied to WebSockets by Ocelot: a note; reported when
                                      the route keeps plain HTTP (UpstreamHttpMethod)
`;
