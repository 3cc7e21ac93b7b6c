# Reliability runs (included from the Makefile). The fast scenarios (e2e/reliability/) already
# run in `make e2e` / `make test`; the soak runs only here.
#
#   make soak           5,000 connections with steady traffic for 10 minutes; prints the RSS and
#                       event-loop lag trend, checks no fd is left once the clients leave.
#                       SOAK_DURATION=2m (or 90s, 1h) changes the length; SOAK_CONNECTIONS=5000.
#   make reliability    only the fast scenarios (the control-plane one needs `make e2e-up`)

.PHONY: soak reliability

SOAK_DURATION ?= 10m
SOAK_CONNECTIONS ?= 5000

# 5,000 connections are 10,000 sockets in wsgate: raise the open-files limit (children inherit it).
soak: build
	@ulimit -n 20000 && WSGATE_SOAK=1 WSGATE_SOAK_DURATION=$(SOAK_DURATION) WSGATE_SOAK_CONNECTIONS=$(SOAK_CONNECTIONS) \
		$(NODE) --test --test-concurrency=1 dist/e2e/soak/soak.js

reliability: build
	@bash e2e/reliability/setup.sh >/dev/null
	@ulimit -n 20000 && $(NODE) --test --test-concurrency=1 --test-timeout=300000 "dist/e2e/reliability/*.test.js"
