# Helm chart, plain manifests and their tests (included from the Makefile).
#
#   make helm         build helm (pinned, from its Go module) into $(WSGATE_CACHE)/bin; cached
#   make manifests    copy crds/ into charts/wsgate/crds/ and render manifests/install.yaml
#   make chart-test   lint + template + schema + staleness checks, then helm install and an RBAC
#                     proof against the e2e control plane (started for the run when not up)

.PHONY: helm manifests chart-test

helm:
	@bash e2e/chart/install-helm.sh >/dev/null

manifests: helm
	bash e2e/chart/render-manifests.sh --sync-crd

chart-test: build helm
	@bash e2e/chart/run.sh
