# meshprobe: a Kubernetes admission webhook plus a gossiping prober sidecar.
# `make help` lists the targets. `make demo` and `make test` need nothing else installed
# beyond Go, make and (for Prometheus and network namespaces) root with apt.

SHELL       := /usr/bin/env bash -o pipefail
GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Evaluated once: the images' tags must be the version the binaries were built with,
# even when a commit lands between the two steps.
VERSION     := $(VERSION)
LDFLAGS     := -s -w -X github.com/meshprobe/meshprobe/internal/buildinfo.version=$(VERSION)
BIN         := bin
IMAGE_REPO  ?= ghcr.io/meshprobe
# The platforms `make push` (and `make docker-images PUSH=1`) publish.
PLATFORMS   ?= linux/amd64 linux/arm64
FUZZTIME    ?= 3s
GOTESTFLAGS ?= -race -count=1 -timeout 30m
export CGO_ENABLED ?= 1

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_-]+:.*## /{printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/meshprobe-webhook, bin/meshprobe-sidecar and the local-cluster tools
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

.PHONY: k8s-binaries
k8s-binaries: ## fetch or build etcd and the Kubernetes control plane into ~/.cache/meshprobe
	@./hack/k8s-binaries.sh >/dev/null

.PHONY: test-deps
test-deps: ## install what the tests need: k8s binaries, Prometheus, iproute2
	@./hack/test-deps.sh

.PHONY: test
test: test-deps lint ## run every test: unit, integration (real apiserver), fuzz smoke, e2e
	KUBEBUILDER_ASSETS="$$(./hack/k8s-binaries.sh)" $(GO) test $(GOTESTFLAGS) ./...
	./hack/fuzz_selftest.sh
	FUZZTIME=$(FUZZTIME) ./hack/fuzz.sh
	$(MAKE) e2e

.PHONY: unit
unit: ## run the Go tests only (integration tests skip without KUBEBUILDER_ASSETS)
	$(GO) test $(GOTESTFLAGS) ./...

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 3s)
	FUZZTIME=$(FUZZTIME) ./hack/fuzz.sh

# As root the local cluster runs real nodes: kubelet and kube-proxy besides the control
# plane, and the images (bin/images) that every node imports.
ROOT        := $(filter 0,$(shell id -u))
NODE_BINS   := $(if $(ROOT),--node)
NODE_DEPS   := $(if $(ROOT),node-deps images,build)

.PHONY: node-deps
node-deps: ## as root: install containerd, runc, the CNI plugins and iptables for the local cluster's real nodes
	@./hack/test-deps.sh --nodes

.PHONY: e2e
e2e: $(NODE_DEPS) ## run the end-to-end suite against a throwaway local cluster (real nodes: needs root)
	@if [ -d e2e ]; then \
	  KUBEBUILDER_ASSETS="$$(./hack/k8s-binaries.sh $(NODE_BINS))" MESHPROBE_BIN="$(CURDIR)/$(BIN)" \
	    $(GO) test -count=1 -timeout 30m -tags e2e ./e2e/... ; \
	else echo "e2e: no suite yet"; fi

.PHONY: bench
bench: ## run the benchmarks (long; figures go to BENCHMARKS.md)
	KUBEBUILDER_ASSETS="$$(./hack/k8s-binaries.sh)" $(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

.PHONY: lint
lint: ## gofmt, go vet (and golangci-lint when installed)
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v golangci-lint >/dev/null; then golangci-lint run ./...; fi

.PHONY: tidy
tidy: ## go mod tidy, failing when go.mod or go.sum change
	$(GO) mod tidy
	@git diff --exit-code -- go.mod go.sum || { echo "go.mod/go.sum not tidy: commit the diff above"; exit 1; }

.PHONY: images
images: build ## build the images into bin/images/<name>.tar, no Docker or registry (ctr -n k8s.io images import)
	coredns="$$(./hack/coredns.sh)" && $(BIN)/meshprobe-images --version $(VERSION) --repo $(IMAGE_REPO) \
	  --bin-dir $(BIN) --out $(BIN)/images --coredns "$$coredns" >/dev/null

.PHONY: push
push: build ## push meshprobe-webhook and meshprobe-sidecar to IMAGE_REPO as VERSION and latest, for PLATFORMS, no Docker
	@for p in $(PLATFORMS); do \
	  echo "building for $$p"; \
	  GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
	    -o $(BIN)/$${p%/*}_$${p#*/}/ ./cmd/meshprobe-webhook ./cmd/meshprobe-sidecar || exit 1; \
	done
	$(BIN)/meshprobe-images --push --platforms "$(PLATFORMS)" --version $(VERSION) --repo $(IMAGE_REPO) --bin-dir $(BIN)

# PUSH=1: build PLATFORMS with buildx and push (docker login first).
DOCKER_BUILD = $(if $(PUSH),docker buildx build --push --platform $(subst $(space),$(comma),$(strip $(PLATFORMS))),docker build)
comma := ,
space := $(subst ,, )

.PHONY: docker-images
docker-images: ## build the webhook and sidecar images with a Docker engine (PUSH=1: multi-arch buildx, pushed)
	$(DOCKER_BUILD) -f Dockerfile.webhook -t $(IMAGE_REPO)/meshprobe-webhook:$(VERSION) --build-arg VERSION=$(VERSION) .
	$(DOCKER_BUILD) -f Dockerfile.sidecar -t $(IMAGE_REPO)/meshprobe-sidecar:$(VERSION) --build-arg VERSION=$(VERSION) .

.PHONY: demo
demo: $(NODE_DEPS) ## start a local cluster with meshprobe and demo workloads; Ctrl-C tears it down
	KUBEBUILDER_ASSETS="$$(./hack/k8s-binaries.sh $(NODE_BINS))" $(BIN)/meshprobe-localcluster demo --bin-dir $(BIN)

.PHONY: uninstall
uninstall: ## remove meshprobe installed with kustomize from the current kubectl context (MANIFESTS=manifests): webhook configuration first
	./hack/uninstall.sh $(or $(MANIFESTS),manifests)

.PHONY: e2e-kind
e2e-kind: ## run the e2e suite on a kind cluster (needs Docker and kind)
	./kind/e2e.sh

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
