# Benchmarks against nginx, HAProxy, Caddy and a direct connection (issue 8). Not part of CI.
#   make bench          full run (about 20 minutes on 2 cores, estimated): bench/results/<date>.json, latest.{json,md,svg}
#   make bench-quick    one short round (about 1-2 minutes)
#   make bench-profile  wsgate under --cpu-prof (throughput, upgrades): bench/results/profile/
#   make bench-capacity idle connections up to `ulimit -n` through wsgate, nginx, HAProxy, plain and TLS
#                       (a few minutes): bench/results/capacity/<date>-idle.json, idle-latest.md
# BENCH_ARGS passes extra flags to the runner, e.g. BENCH_ARGS="--targets wsgate,nginx --rounds 1".

.PHONY: bench bench-quick bench-profile bench-capacity bench-setup

# Installs nginx, HAProxy and Caddy from Debian's packages if they are missing (idempotent).
bench-setup:
	@bash bench/setup.sh

# The load holds 5,000 connections: every process needs that many descriptors and more.
BENCH_ULIMIT := ulimit -n 20000 2>/dev/null || ulimit -n $$(ulimit -Hn) 2>/dev/null || true

bench: build bench-setup
	@$(BENCH_ULIMIT); $(NODE) dist/bench/run.js $(BENCH_ARGS)

bench-quick: build bench-setup
	@$(BENCH_ULIMIT); $(NODE) dist/bench/run.js --quick $(BENCH_ARGS)

bench-profile: build
	@$(BENCH_ULIMIT); $(NODE) dist/bench/profile.js $(BENCH_ARGS)

bench-capacity: build bench-setup
	@$(BENCH_ULIMIT); $(NODE) dist/bench/capacity.js $(BENCH_ARGS)
