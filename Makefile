# clusterbench: Go servers alone, behind nginx, or behind a net/rpc gateway, measured honestly.
# `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Inputs a user may set: make local SCENARIO=quick, make bench TOPOLOGIES=single,nginx
SCENARIO ?=
TOPOLOGIES ?=
# A replica sweep behind each balancer: make local REPLICAS=1,2,3,4
REPLICAS ?=
# More flags for clusterbench local: make local ARGS="--cpus-per-server 0.25 --work 200us --failover"
ARGS ?=
CLUSTER ?= kind
GO ?= go
NPM ?= npm

BIN_DIR := bin
# staticcheck, built from source through the Go module proxy into a cache (no binary is downloaded).
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/clusterbench/go-tools/staticcheck-$(STATICCHECK_VERSION)/staticcheck
GO_MODULES := images test/cluster/tools
CLI := node build/src/cli.js
GO_SOURCES := $(shell find images -name '*.go' -not -path '*/testdata/*' 2>/dev/null)
TS_SOURCES := $(shell find src loadtest charts -name '*.ts' 2>/dev/null) tsconfig.json

##@ General

.PHONY: help
help: ## Show this help (coloured on a terminal only).
	@if [ -t 1 ]; then cyan=$$'\033[36m' bold=$$'\033[1m' off=$$'\033[0m'; else cyan= bold= off=; fi; \
	awk -v c="$$cyan" -v b="$$bold" -v o="$$off" 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make %s<target>%s\n", c, o} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %s%-16s%s %s\n", c, $$1, o, $$2 } /^##@/ { printf "\n%s%s%s\n", b, substr($$0, 5), o } ' $(MAKEFILE_LIST)

##@ Development

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

.PHONY: deps
deps: node_modules/.package-lock.json ## Install npm dependencies (npm ci) when the lock file changed.

.PHONY: build
build: build-ts build-go ## Build the TypeScript (build/) and the Go servers (bin/).

build/src/cli.js: node_modules/.package-lock.json $(TS_SOURCES)
	$(NPM) run build --silent
	@touch $@

.PHONY: build-ts
build-ts: build/src/cli.js ## Compile the TypeScript into build/.

$(BIN_DIR)/hello $(BIN_DIR)/rpc-gateway &: images/go.mod $(GO_SOURCES)
	cd images && CGO_ENABLED=0 $(GO) build -trimpath -o ../$(BIN_DIR)/ ./hello ./rpc-gateway

.PHONY: build-go
build-go: $(BIN_DIR)/hello $(BIN_DIR)/rpc-gateway ## Build the hello server and the RPC gateway into bin/.

.PHONY: vet
vet: deps $(STATICCHECK) ## gofmt, go vet and staticcheck; the TypeScript type check (sources and tests), typescript-eslint and prettier --check.
	@unformatted="$$(gofmt -l $(GO_MODULES))"; if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted: $$unformatted" >&2; exit 1; fi
	for m in $(GO_MODULES); do (cd $$m && $(GO) vet ./... && $(STATICCHECK) ./...); done
	$(NPM) run typecheck --silent
	$(NPM) run lint --silent
	$(NPM) run format:check --silent

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: test
test: deps vet build ## Run every test: go test -race, then vitest.
	cd images && $(GO) test -race -count=1 ./...
	cd test/cluster/tools && $(GO) test -race -count=1 ./...
	npx vitest run

.PHONY: imports
imports: ## Print the import graph between folders (cli > charts > src > loadtest); fails on an upward import.
	node scripts/import-graph.mjs --check

.PHONY: clean
clean: ## Remove build outputs (build/, bin/, dist/).
	rm -rf build $(BIN_DIR) dist

##@ Benchmarks

.PHONY: local
local: deps build ## Run the comparison on this machine (SCENARIO=quick|standard|seed, TOPOLOGIES=..., REPLICAS=1,2,3 for a sweep, ARGS=...); report in reports/.
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "--- installing nginx (apt-get install nginx)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null; \
	  else echo "make local needs nginx: install it (sudo apt-get install nginx) and run make local again" >&2; exit 1; fi; }
	@# The seed scenario holds 1000 connections: raise the open-file limit as far as allowed.
	ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true; $(CLI) local $(if $(SCENARIO),--scenario $(SCENARIO)) $(if $(TOPOLOGIES),--topologies $(TOPOLOGIES)) $(if $(REPLICAS),--replicas $(REPLICAS)) $(ARGS)

.PHONY: bench-servers
bench-servers: build-go build-ts ## Loopback: hello direct, nginx and the RPC gateway over three hellos, with wrk; medians and ratios (ROUNDS, DURATION, CONNECTIONS, PROFILE=file: the gateway's CPU profile).
	scripts/bench-servers.sh

.PHONY: bench-loadgen
bench-loadgen: build-go build-ts ## The load generator against wrk -t1 and autocannon on one hello server, one thread each: req/s and CPU/request ratios; then open loop at 50% and 150% of a worked hello's capacity and at 1k and 10k req/s: achieved vs the server's count, send lag (ROUNDS, DURATION, CONNECTIONS, WORK).
	node build/loadtest/bench/bench-loadgen.js

.PHONY: bench-loadgen-memory
bench-loadgen-memory: build-go build-ts ## The load generator's RSS over 60 s at 1000 connections (DURATION, CONNECTIONS).
	node build/loadtest/bench/bench-loadgen.js --memory

##@ Build

# make synth SET="hello.cpu=250m images.tag=v1 namespace=bench-a" CONFIG=settings.yaml (keys: src/config/config.ts).
SET ?=
CONFIG ?=
# Where the images live, as kubebuilder's IMG: make images push deploy REGISTRY=registry.example.com/team
# (images.registry; default clusterbench, for images loaded into kind or minikube).
REGISTRY ?=
SYNTH_ARGS = --set cluster=$(CLUSTER) $(if $(REGISTRY),--set images.registry=$(REGISTRY)) $(foreach s,$(SET),--set $(s)) $(if $(CONFIG),--config $(CONFIG))
DEPLOY = CLUSTER=$(CLUSTER) SYNTH_ARGS="$(SYNTH_ARGS)" CLI="$(CLI)" deploy/deploy.sh

.PHONY: synth
synth: build-ts ## Write the manifests into dist/ (CLUSTER=kind|minikube|generic, SET="key=value ...", CONFIG=file).
	$(CLI) synth $(SYNTH_ARGS)

.PHONY: images
images: build-ts ## Build the hello, rpc-gateway and bench images (docker or podman) as REGISTRY/<name>:<content hash>.
	$(DEPLOY) images

.PHONY: push
push: build-ts ## Build and push the three images to REGISTRY, for a cluster whose nodes pull (CLUSTER=generic).
	$(DEPLOY) push

##@ Deploy

.PHONY: deploy
deploy: build-ts ## Deploy to CLUSTER=kind (created if absent), minikube or generic (current context); idempotent.
	$(DEPLOY) deploy

.PHONY: undeploy
undeploy: build-ts ## Delete what make deploy applied (the cluster stays).
	$(DEPLOY) undeploy

.PHONY: kind-down
kind-down: ## Delete the kind cluster make deploy created.
	$(DEPLOY) kind-down

##@ Cluster

# make bench SCENARIO=quick TOPOLOGIES=single,nginx TRIALS=3 RUNNERS=2 KILL_AFTER=3s REPLICAS=1,2,3 ARGS="--connections 128"
TRIALS ?=
RUNNERS ?=
KILL_AFTER ?=

.PHONY: bench
bench: build-ts ## Run a Benchmark in the deployed cluster, in its namespace (SET/CONFIG as make deploy; SCENARIO, TOPOLOGIES, TRIALS, RUNNERS, KILL_AFTER, REPLICAS=1,2,3 for a sweep, ARGS); prints the report, saves it in reports/<name>/.
	namespace=$$($(CLI) synth --print-namespace $(SYNTH_ARGS)); $(CLI) bench --namespace "$$namespace" $(if $(SCENARIO),--scenario $(SCENARIO)) $(if $(TOPOLOGIES),--topologies $(TOPOLOGIES)) $(if $(TRIALS),--trials $(TRIALS)) $(if $(RUNNERS),--runners $(RUNNERS)) $(if $(KILL_AFTER),--kill-after $(KILL_AFTER)) $(if $(REPLICAS),--replicas $(REPLICAS)) $(ARGS)

# A real single-node cluster built offline on this machine (test/cluster/README.md); needs root.
.PHONY: e2e
e2e: ## Cluster up (built offline, cached in ~/.cache/clusterbench), images, deploy CLUSTER=generic, bench SCENARIO=quick, check the report, tear down.
	test/cluster/e2e.sh

# kind for real, offline on this machine (test/kind/README.md); needs root. A laptop needs none of it: make deploy.
.PHONY: e2e-kind
e2e-kind: ## The kind path for real: kind v0.33.0 with a node image built offline, make deploy CLUSTER=kind, bench SCENARIO=quick, check, kind delete; NODES=3: control plane and two workers, traffic across nodes, runners spread; needs root.
	$(if $(NODES),NODES=$(NODES)) test/kind/e2e.sh

.PHONY: test-integration
test-integration: deps build ## Controller integration tests against a real API server (cluster-up --control-plane-only, then down); needs root.
	eval "$$(test/cluster/cluster-up.sh --control-plane-only)"; \
	trap test/cluster/cluster-down.sh EXIT; \
	CLUSTERBENCH_REQUIRE_APISERVER=1 npx vitest run test/controller/apiserver.test.ts test/controller/many-runners.test.ts

.PHONY: cluster-up
cluster-up: ## Start the single-node cluster of make e2e and leave it up (ARGS=--control-plane-only for the API server alone); prints export KUBECONFIG=...
	test/cluster/cluster-up.sh $(ARGS)

.PHONY: cluster-down
cluster-down: ## Stop the cluster of make cluster-up and remove its state.
	test/cluster/cluster-down.sh
