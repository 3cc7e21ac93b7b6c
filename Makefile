# The README's two commands are `make run` and `make test`; everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node.js 24 comes from the pinned `node` package, never from the machine.
NODE := node_modules/.bin/node
TSC := node_modules/.bin/tsc
STAMP := node_modules/.install-stamp

.PHONY: help install build run test test-unit e2e e2e-up e2e-down image clean

help:
	@echo "make run        build and start the quickstart (demo backends + wsgate standalone)"
	@echo "make test       install, build and run every test suite"
	@echo "make e2e-up     start the local cluster: etcd, kube-apiserver and (as root) a real node with"
	@echo "                kubelet, containerd, kube-proxy, controller-manager, scheduler; kubeconfig:"
	@echo "                e2e/.cluster/kubeconfig; loads wsgate:dev into the node"
	@echo "make image      build wsgate:dev (and the e2e images) with buildah, no Docker; load into the node"
	@echo "make e2e-down   stop it and remove everything it created"
	@echo "make gateway-conformance  the upstream Gateway API conformance suite against wsgate"
	@echo "                (needs make e2e-up as root; report in e2e/.cluster/)"

TIMED := bash mk/timed.sh

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(STAMP)

install: $(STAMP)

build: install
	$(TSC) -p tsconfig.json

run: build
	$(NODE) dist/examples/quickstart.js

# Unit and integration tests; installed here from Debian's packages: prometheus (the scrape test),
# chromium and firefox-esr (the browser tests), nghttp2-client (h2load, the HTTP/2 tool test) and
# caddy (the bench's Caddy test, bench/setup.sh).
test-unit: build
	@$(TIMED) "test setup (prometheus, chromium, firefox-esr, h2load, bench proxies)" bash -c 'bash test/prometheus/setup.sh && bash test/browser/setup.sh && bash test/http2/setup.sh && bash bench/setup.sh'
	@$(TIMED) "unit and integration tests" $(NODE) --test --test-concurrency=1 --test-timeout=120000 "dist/test/**/*.test.js"

test: test-unit e2e

# The node (e2e/node/node.sh) needs root; WSGATE_E2E_NODE=0 starts the control plane only.
e2e-up: build
	@$(TIMED) "control plane" bash e2e/cluster/up.sh
	@$(TIMED) "node" bash e2e/node/node.sh up
	@if bash e2e/node/node.sh status >/dev/null 2>&1; then $(TIMED) "images" bash e2e/node/image.sh; fi
	bash e2e/cluster/netns.sh up

e2e-down:
	bash e2e/cluster/netns.sh down
	bash e2e/cluster/down.sh

# wsgate:dev from ./Dockerfile without a Docker engine (buildah), plus the e2e backend and pause
# images; loaded into the node's containerd when the node is up.
image: build
	@$(TIMED) "images" bash e2e/node/image.sh

# The control plane is started for the run and stopped after it, pass or fail.
e2e: build
	@$(TIMED) "e2e (all phases)" bash e2e/run.sh

clean:
	rm -rf dist

include mk/chart.mk
include mk/bench.mk
include mk/soak.mk
include mk/gateway.mk
