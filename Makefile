# headcount: every task a user or CI runs. `make help` lists them.
SHELL := /bin/bash
GO ?= go
BIN := bin/headcount
KAFKA_NODES ?= 1
FRAMES ?= 200000
SEED ?= 1
# Each `make run` counts into an app and topic of its own, so runs never share state.
RUN_ID := $(shell date +%s)
RUN_TOPIC ?= frames-$(RUN_ID)
RUN_APP ?= headcount-$(RUN_ID)
BENCHTIME ?= 1s
BENCHCOUNT ?= 5
# The tests use the 3-node cluster too; point them elsewhere with
# KAFKA_BOOTSTRAP / KAFKA_CLUSTER_BOOTSTRAP to use brokers of your own.
export KAFKA_BOOTSTRAP KAFKA_CLUSTER_BOOTSTRAP

.PHONY: help build run test test-unit bench bench-e2e chaos fuzz lint kafka-up kafka-down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/headcount
	$(GO) build -o $(BIN) ./cmd/headcount

run: build kafka-up ## the main job: Kafka up, FRAMES generated frames in, exactly-once counts out
	@mkdir -p .cache
	./$(BIN) gen --seed $(SEED) --frames $(FRAMES) --delayed 0.1 --flipped 0.0005 --garbage 0.0005 > .cache/frames.jsonl
	./$(BIN) produce --create --partitions 3 --topic $(RUN_TOPIC) .cache/frames.jsonl
	./$(BIN) run --app $(RUN_APP) --input $(RUN_TOPIC) --windows minute,hour --early 0 --drain --stdout --instance make-run

test: build ## every test: unit, fuzz seeds, integration against real Kafka (started here)
	$(MAKE) kafka-up KAFKA_NODES=1
	$(MAKE) kafka-up KAFKA_NODES=3
	$(GO) test -count=1 -p 1 -timeout 25m ./...

test-unit: ## the tests that need no broker
	$(GO) test -count=1 ./processor/... ./state/... ./cmd/...

bench: ## the benchmarks quoted in README.md (medians: pipe through benchstat)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./processor/... ./state/...

bench-e2e: build kafka-up ## the service end to end on the local broker (HEADCOUNT_BENCH_FRAMES, default 1000000)
	$(GO) test ./integration -run '^$$' -bench ServiceDrain -benchtime 1x -count $(BENCHCOUNT) -timeout 60m

chaos: build ## the chaos suite at full length: kills the service and the brokers (HEADCOUNT_CHAOS_SEED replays a run)
	$(MAKE) kafka-up KAFKA_NODES=1
	$(MAKE) kafka-up KAFKA_NODES=3
	HEADCOUNT_CHAOS=full $(GO) test ./integration -run Chaos -count=1 -timeout 60m -v

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	$(GO) test ./processor -run '^$$' -fuzz '^FuzzExtract$$' -fuzztime $${FUZZTIME:-30s}
	$(GO) test ./state -run '^$$' -fuzz '^FuzzApplyDelta$$' -fuzztime $${FUZZTIME:-30s}

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

kafka-up: ## start a local Apache Kafka (KAFKA_NODES=1 or 3); a no-op when running
	KAFKA_NODES=$(KAFKA_NODES) integration/kafka/kafka-up.sh

kafka-down: ## stop the local Kafka (KAFKA_NODES=1, 3 or all)
	KAFKA_NODES=$(KAFKA_NODES) integration/kafka/kafka-down.sh

clean: ## remove build outputs (the Kafka jar cache stays)
	rm -rf bin .cache
