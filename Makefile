# The README's two commands are `make run` and `make test`; everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node.js 24 comes from the pinned `node` package, never from the machine.
NODE := node_modules/.bin/node
TSC := node_modules/.bin/tsc
STAMP := node_modules/.install-stamp

.PHONY: help install build run test test-unit e2e e2e-up e2e-down clean

help:
	@echo "make run        build and start the quickstart (demo backends + wsgate standalone)"
	@echo "make test       install, build and run every test suite"
	@echo "make e2e-up     start the local kube-apiserver + etcd (kubeconfig: e2e/.cluster/kubeconfig)"
	@echo "make e2e-down   stop it"

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(STAMP)

install: $(STAMP)

build: install
	$(TSC) -p tsconfig.json

run: build
	$(NODE) dist/examples/quickstart.js

# Unit and integration tests; the Prometheus scrape test needs Debian's prometheus, installed here.
test-unit: build
	bash test/prometheus/setup.sh
	bash test/browser/setup.sh
	$(NODE) --test --test-concurrency=1 --test-timeout=120000 "dist/test/**/*.test.js"

test: test-unit e2e

e2e-up:
	bash e2e/cluster/up.sh
	bash e2e/cluster/netns.sh up

e2e-down:
	bash e2e/cluster/netns.sh down
	bash e2e/cluster/down.sh

# The control plane is started for the run and stopped after it, pass or fail.
e2e: build
	@bash e2e/run.sh

clean:
	rm -rf dist

include mk/chart.mk
include mk/bench.mk
include mk/soak.mk
