# registry.k8s.io/gateway-api/echo-basic:<tag>, the backend of the Gateway API conformance
# manifests, built by e2e/gateway/conformance-images.sh from the static binary that
# e2e/gateway/build-conformance.sh builds from the suite's module: no registry is reached.
# Upstream's image (docker/Dockerfile.echo-basic) is this binary on distroless/static:nonroot,
# whose CA bundle and passwd file echo-basic does not read; the user is the same uid.
FROM scratch
COPY echo-basic /echo-basic
USER 65532:65532
ENTRYPOINT ["/echo-basic"]
