# registry.k8s.io/coredns/coredns:<tag>, which the conformance base manifests run in
# gateway-conformance-infra (setup waits for it to be Ready), built by
# e2e/gateway/conformance-images.sh from e2e/gateway/build-conformance.sh's static binary.
# Upstream runs it as nonroot with a file capability to bind port 53; the manifest keeps only
# NET_BIND_SERVICE and sets allowPrivilegeEscalation: false, under which a file capability does
# not apply on this node's containerd 1.6 (no unprivileged low ports), so it runs as uid 0 with
# that one capability.
FROM scratch
COPY coredns /coredns
ENTRYPOINT ["/coredns"]
