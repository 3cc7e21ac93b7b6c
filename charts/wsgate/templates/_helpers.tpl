{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "wsgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "wsgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "wsgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wsgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wsgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "wsgate.labels" -}}
helm.sh/chart: {{ include "wsgate.chart" . }}
{{ include "wsgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ if include "wsgate.split" . }}proxy{{ else }}controller{{ end }}
app.kubernetes.io/part-of: wsgate
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
metadata.annotations block (or nothing) merging commonAnnotations with the given extra map.
Use: {{- with include "wsgate.annotations" (dict "root" . "extra" MAP) }}{{ . | nindent 2 }}{{ end }}
*/}}
{{- define "wsgate.annotations" -}}
{{- $all := merge (deepCopy (.extra | default dict)) (deepCopy (.root.Values.commonAnnotations | default dict)) -}}
{{- with $all -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* "true" in split mode (the default): data plane and controller are two Deployments. */}}
{{- define "wsgate.split" -}}
{{- if eq .Values.mode "split" -}}true{{- end -}}
{{- end -}}

{{/* Split mode: the controller's name (Deployment, Service, ServiceAccount), <fullname>-controller. */}}
{{- define "wsgate.controllerFullname" -}}
{{- printf "%s-controller" (include "wsgate.fullname" . | trunc 52 | trimSuffix "-") -}}
{{- end -}}

{{/*
The controller pods' selector: another app.kubernetes.io/name, so the data plane's selector
(and its Service, PDB, HPA) never matches them; the data plane's own selector is unchanged
from single-process installs (a Deployment's selector cannot change on upgrade).
*/}}
{{- define "wsgate.controllerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "wsgate.name" . | trunc 52 | trimSuffix "-" }}-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "wsgate.controllerLabels" -}}
helm.sh/chart: {{ include "wsgate.chart" . }}
{{ include "wsgate.controllerSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: wsgate
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The ServiceAccount the RBAC is bound to: the controller's (split), else the one Deployment's. */}}
{{- define "wsgate.controllerServiceAccountName" -}}
{{- if include "wsgate.split" . -}}
{{- include "wsgate.controllerFullname" . -}}
{{- else -}}
{{- include "wsgate.serviceAccountName" . -}}
{{- end -}}
{{- end -}}

{{/*
Split mode: the Secrets of the snapshot stream's certificates (ca.crt, tls.crt, tls.key); with
streamTls.source existing, the ones named in streamTls.existingSecrets when set.
*/}}
{{- define "wsgate.streamSecret.controller" -}}
{{- if and (eq .Values.streamTls.source "existing") .Values.streamTls.existingSecrets.controller -}}
{{- .Values.streamTls.existingSecrets.controller -}}
{{- else -}}
{{- printf "%s-stream-controller" (include "wsgate.fullname" . | trunc 45 | trimSuffix "-") -}}
{{- end -}}
{{- end -}}
{{- define "wsgate.streamSecret.proxy" -}}
{{- if and (eq .Values.streamTls.source "existing") .Values.streamTls.existingSecrets.proxy -}}
{{- .Values.streamTls.existingSecrets.proxy -}}
{{- else -}}
{{- printf "%s-stream-proxy" (include "wsgate.fullname" . | trunc 45 | trimSuffix "-") -}}
{{- end -}}
{{- end -}}

{{/* The DNS names of the controller's stream certificate: its Service, short and qualified. */}}
{{- define "wsgate.controllerDnsNames" -}}
{{- $svc := include "wsgate.controllerFullname" . -}}
{{- list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) | toJson -}}
{{- end -}}

{{- define "wsgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "wsgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "wsgate.leaseName" -}}
{{- default (printf "%s-leader" (include "wsgate.fullname" .)) .Values.leaderElection.leaseName | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wsgate.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Whether more than one replica can run at a time. */}}
{{- define "wsgate.multiReplica" -}}
{{- if or .Values.autoscaling.enabled .Values.keda.enabled (gt (int .Values.replicaCount) 1) -}}true{{- end -}}
{{- end -}}

{{/* Whether more than one replica of the process that elects a leader can run. */}}
{{- define "wsgate.multiController" -}}
{{- if include "wsgate.split" . -}}
{{- if gt (int .Values.controllerDeployment.replicaCount) 1 -}}true{{- end -}}
{{- else -}}
{{- include "wsgate.multiReplica" . -}}
{{- end -}}
{{- end -}}

{{/*
Checks across values that the schema cannot express. Included by the Deployment, so every
render (install, upgrade, template, lint) runs them.
*/}}
{{- define "wsgate.validate" -}}
{{- if and (include "wsgate.multiController" .) (not .Values.leaderElection.enabled) -}}
{{- if include "wsgate.split" . -}}
{{- fail "leaderElection.enabled must be true when more than one controller replica runs (controllerDeployment.replicaCount > 1): only the leader may write route status and events" -}}
{{- else -}}
{{- fail "leaderElection.enabled must be true when more than one replica can run (replicaCount > 1 or autoscaling.enabled): only the leader may write route status and events" -}}
{{- end -}}
{{- end -}}
{{- if and (include "wsgate.split" .) (eq (int .Values.controllerDeployment.snapshotPort) (int .Values.containerPorts.admin)) -}}
{{- fail "controllerDeployment.snapshotPort and containerPorts.admin must differ" -}}
{{- end -}}
{{- $grace := int .Values.shutdown.graceSeconds -}}
{{- $needed := add (int .Values.shutdown.preStopSleepSeconds) $grace -}}
{{- if le (int .Values.terminationGracePeriodSeconds) $needed -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be larger than shutdown.preStopSleepSeconds + the shutdown grace (%d + %d = %d): the kubelet would kill wsgate while it still drains connections" (int .Values.terminationGracePeriodSeconds) (int .Values.shutdown.preStopSleepSeconds) $grace $needed) -}}
{{- end -}}
{{- if and (eq .Values.secrets.scope "namespaces") (empty .Values.secrets.namespaces) -}}
{{- fail "secrets.namespaces must list at least one namespace when secrets.scope is \"namespaces\"" -}}
{{- end -}}
{{- if and .Values.tls.enabled (eq .Values.secrets.scope "none") -}}
{{- fail "tls.enabled needs access to Secrets (the certificates are kubernetes.io/tls Secrets): secrets.scope must not be \"none\"" -}}
{{- end -}}
{{- if and .Values.tls.defaultSecret (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" .Values.tls.defaultSecret)) -}}
{{- fail (printf "tls.defaultSecret must be NAMESPACE/NAME, got %q" .Values.tls.defaultSecret) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) -}}
{{- fail "autoscaling.maxReplicas must be at least autoscaling.minReplicas" -}}
{{- end -}}
{{- if and .Values.keda.enabled .Values.autoscaling.enabled -}}
{{- fail "keda.enabled and autoscaling.enabled exclude each other: KEDA's ScaledObject makes its own HorizontalPodAutoscaler" -}}
{{- end -}}
{{- if and .Values.keda.enabled (lt (int .Values.keda.maxReplicas) (int .Values.keda.minReplicas)) -}}
{{- fail "keda.maxReplicas must be at least keda.minReplicas" -}}
{{- end -}}
{{- if .Values.gatewayAPI.enabled -}}
{{- range (include "wsgate.gatewayPorts" . | splitList "\n" | compact) -}}
{{- if has (int .) (list (int $.Values.containerPorts.proxy) (int $.Values.containerPorts.admin) (int $.Values.containerPorts.tls)) -}}
{{- fail (printf "gatewayAPI.ports: %s is also one of containerPorts (proxy, admin, tls); a Gateway listener port needs a container port of its own" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if or (eq (int .Values.containerPorts.proxy) (int .Values.containerPorts.admin)) (and .Values.tls.enabled (has (int .Values.containerPorts.tls) (list (int .Values.containerPorts.proxy) (int .Values.containerPorts.admin)))) -}}
{{- fail "containerPorts.proxy, containerPorts.admin and containerPorts.tls must differ" -}}
{{- end -}}
{{- end -}}

{{/* RBAC rules for the watched resources (cluster-wide or per watched namespace); see rbac.yaml. */}}
{{- define "wsgate.rbac.rules" -}}
- apiGroups: [wsgate.io]
  resources: [websocketroutes]
  verbs: [get, list, watch]
- apiGroups: [wsgate.io]
  resources: [websocketroutes/status]
  verbs: [get, patch, update]
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end }}
{{/* Gateway API RBAC for the namespaced kinds (cluster-wide or per watched namespace); see rbac-gateway-api.yaml. */}}
{{- define "wsgate.rbac.gatewayRules" -}}
- apiGroups: [gateway.networking.k8s.io]
  resources: [gateways, httproutes, referencegrants]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [gateways/status, httproutes/status]
  verbs: [get, patch, update]
- apiGroups: [wsgate.io]
  resources: [websocketpolicies]
  verbs: [get, list, watch]
- apiGroups: [wsgate.io]
  resources: [websocketpolicies/status]
  verbs: [get, patch, update]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
{{- end }}

{{/*
The Gateway listener ports that get a Service port and container port of their own: those of
gatewayAPI.ports other than service.port and (with tls.enabled) service.tlsPort, which the proxy
and TLS listeners serve (--gateway-service-port, --gateway-service-tls-port). One per line.
*/}}
{{- define "wsgate.gatewayPorts" -}}
{{- if .Values.gatewayAPI.enabled -}}
{{- $main := list (int .Values.service.port) -}}
{{- if .Values.tls.enabled }}{{ $main = append $main (int .Values.service.tlsPort) }}{{ end -}}
{{- range .Values.gatewayAPI.ports -}}
{{- if not (has (int .) $main) }}
{{ int . }}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end }}

{{- define "wsgate.rbac.secretRules" -}}
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch]
{{- end }}

{{/*
The Secret holding the session-affinity key (in the release namespace), or "" when each wsgate
process makes its own. The chart renders no key: the controller reads the Secret through the
API (and creates it when it is ours and missing), so `helm template` (Argo CD) renders the same
bytes every time.
*/}}
{{- define "wsgate.affinityKeySecret" -}}
{{- if .Values.sessionAffinityKey.existingSecret -}}
{{- .Values.sessionAffinityKey.existingSecret -}}
{{- else if .Values.sessionAffinityKey.create -}}
{{- printf "%s-affinity-key" (include "wsgate.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end }}

{{/*
The overload protection flags of the data plane (docs/overload.md): only the values set; a null
leaves wsgate's own default (one place for each default: the wsgate command).
*/}}
{{- define "wsgate.overloadArgs" -}}
{{- with .Values.overload -}}
{{- if not (kindIs "invalid" .maxConnections) }}
- --max-connections={{ int64 .maxConnections }}
{{- end }}
{{- if not (kindIs "invalid" .readyHighWater) }}
- --ready-high-water={{ .readyHighWater }}
{{- end }}
{{- if not (kindIs "invalid" .readyLowWater) }}
- --ready-low-water={{ .readyLowWater }}
{{- end }}
{{- if not .manager.enabled }}
- --no-overload-manager
{{- else }}
{{- if not (kindIs "invalid" .manager.refuseAt) }}
- --overload-refuse-at={{ .manager.refuseAt }}
{{- end }}
{{- if not (kindIs "invalid" .manager.shedAt) }}
- --overload-shed-at={{ .manager.shedAt }}
{{- end }}
{{- if not (kindIs "invalid" .manager.shedPerSecond) }}
- --overload-shed-per-second={{ int64 .manager.shedPerSecond }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The host every listener of the pod binds (listenAddress): "[::]" is dual-stack on Linux. */}}
{{- define "wsgate.bindHost" -}}
{{- if eq .Values.listenAddress "::" }}[::]{{ else }}0.0.0.0{{ end }}
{{- end -}}

{{/* Flags every wsgate process of the chart gets: its listeners (the controller of split mode names the proxies' own, for the Gateway API) and logging. */}}
{{- define "wsgate.args.common" -}}
- --listen={{ include "wsgate.bindHost" . }}:{{ .Values.containerPorts.proxy }}
- --admin-listen={{ include "wsgate.bindHost" . }}:{{ .Values.containerPorts.admin }}
- --log-level={{ .Values.controller.logLevel }}
{{- if .Values.tls.enabled }}
- --tls-listen={{ include "wsgate.bindHost" . }}:{{ .Values.containerPorts.tls }}
{{- with .Values.tls.defaultSecret }}
- --tls-default-secret={{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/* The data plane's flags (`wsgate proxy`, or the single process). */}}
{{- define "wsgate.args.dataPlane" -}}
- --max-header-size={{ .Values.controller.maxHeaderSize }}
{{- if .Values.controller.h2c }}
- --h2c
{{- end }}
- --handshake-timeout={{ .Values.controller.handshakeTimeout }}
- --path-escaped-slashes={{ .Values.controller.paths.escapedSlashes }}
- --path-semicolons={{ .Values.controller.paths.semicolons }}
{{- if not .Values.controller.paths.mergeSlashes }}
- --no-path-merge-slashes
{{- end }}
- --shutdown-grace={{ mul (int .Values.shutdown.graceSeconds) 1000 }}
{{- with .Values.controller.trustedProxies }}
- --trusted-proxies={{ join "," . }}
{{- end }}
- --client-ipv6-prefix={{ .Values.controller.clientIpv6Prefix }}
{{- with .Values.controller.proxyProtocol }}
- --proxy-protocol={{ join "," . }}
{{- end }}
{{- with .Values.tls.minVersion }}
- --tls-min-version={{ . }}
{{- end }}
{{- with .Values.tls.maxVersion }}
- --tls-max-version={{ . }}
{{- end }}
{{- with .Values.tls.ciphers }}
- --tls-ciphers={{ join ":" . }}
{{- end }}
{{- with .Values.tls.ecdhCurves }}
- --tls-ecdh-curves={{ join ":" . }}
{{- end }}
{{- if not .Values.tls.http2 }}
- --no-http2
{{- end }}
{{- with .Values.tls.alpn }}
- --tls-alpn={{ join "," . }}
{{- end }}
{{- with .Values.sessionAffinityKey.grace }}
- --affinity-key-grace={{ . }}
{{- end }}
{{- if not .Values.metrics.endpointMetrics }}
- --no-endpoint-metrics
{{- end }}
{{- if gt (int .Values.controller.workers) 0 }}
- --workers={{ .Values.controller.workers }}
{{- end }}
{{- with (include "wsgate.overloadArgs" . | trim) }}
{{ . }}
{{- end }}
{{- end }}

{{/* The controller's flags: what it watches, leader election, the Gateway API. */}}
{{- define "wsgate.args.controller" -}}
{{- $fullname := include "wsgate.fullname" . -}}
- --debounce={{ .Values.controller.debounceMs }}
- --class={{ .Values.controller.className }}
- --host-ownership={{ .Values.controller.hostOwnership }}
{{- if not .Values.controller.defaultClass }}
- --no-default-class
{{- end }}
{{- with include "wsgate.affinityKeySecret" . }}
- --affinity-key-secret={{ $.Release.Namespace }}/{{ . }}
{{- if not $.Values.sessionAffinityKey.existingSecret }}
- --affinity-key-create
{{- end }}
{{- end }}
{{- with .Values.controller.watchNamespaces }}
- --watch-namespaces={{ join "," . }}
{{- end }}
{{- if eq .Values.secrets.scope "none" }}
- --no-watch-secrets
{{- else if eq .Values.secrets.scope "namespaces" }}
- --secret-namespaces={{ join "," .Values.secrets.namespaces }}
{{- end }}
{{- if .Values.leaderElection.enabled }}
- --leader-election-namespace=$(POD_NAMESPACE)
- --leader-election-id={{ include "wsgate.leaseName" . }}
- --lease-duration={{ .Values.leaderElection.leaseDurationMs }}
- --lease-retry-period={{ .Values.leaderElection.retryPeriodMs }}
{{- else }}
- --no-leader-elect
{{- end }}
{{- if .Values.gatewayAPI.enabled }}
- --gateway-api=on
- --gateway-controller-name={{ .Values.gatewayAPI.controllerName }}
{{- range .Values.gatewayAPI.addresses }}
- --gateway-address={{ . }}
{{- else }}
- --gateway-service={{ .Release.Namespace }}/{{ $fullname }}
{{- end }}
{{- with .Values.gatewayAPI.ports }}
- --gateway-ports={{ join "," . }}
{{- end }}
- --gateway-service-port={{ .Values.service.port }}
{{- if .Values.tls.enabled }}
- --gateway-service-tls-port={{ .Values.service.tlsPort }}
{{- end }}
{{- else }}
- --gateway-api=off
{{- end }}
{{- end }}

{{/*
The selector of the ServiceMonitor (the admin Service, and split mode's controller Service) or
the PodMonitor (the data plane's pods, and split mode's controller pods).
*/}}
{{- define "wsgate.monitorSelector" -}}
{{- $root := .root -}}
{{- if include "wsgate.split" $root -}}
matchLabels:
  app.kubernetes.io/instance: {{ $root.Release.Name }}
matchExpressions:
  - key: app.kubernetes.io/name
    operator: In
    values: [{{ include "wsgate.name" $root | quote }}, {{ printf "%s-controller" (include "wsgate.name" $root | trunc 52 | trimSuffix "-") | quote }}]
  {{- if .services }}
  - key: app.kubernetes.io/service
    operator: In
    values: [admin, controller]
  {{- end }}
{{- else -}}
matchLabels:
  {{- include "wsgate.selectorLabels" $root | nindent 2 }}
  {{- if .services }}
  app.kubernetes.io/service: admin
  {{- end }}
{{- end -}}
{{- end }}
