# Gateway API conformance (included from the Makefile).
#
#   make gateway-conformance   the upstream suite (GATEWAY-HTTP profile, the features of
#                              IMPLEMENTED_FEATURES in src/gatewayapi/translate.ts) against a wsgate controller on
#                              this host; needs root and `make e2e-up`, which it leaves running.
#                              Report: e2e/.cluster/gateway-conformance-report.yaml.
#                              Suite flags: make gateway-conformance ARGS=--run-test=HTTPRouteSimpleSameNamespace

.PHONY: gateway-conformance

gateway-conformance: build
	@$(TIMED) "gateway conformance" bash e2e/gateway/conformance.sh $(ARGS)
