# MSP Hub: `make run` starts it on the embedded default, `make test` runs every test.
SHELL   := /bin/bash
GO      ?= go
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/msphub
TESTENV := bin/testenv
CHROMIUM = $(shell command -v chromium || command -v chromium-browser)

.PHONY: run build assets test test-suites bench bench-suites fuzz clean

## run: build the front-end assets and the binary, serve on http://localhost:8080 (SQLite + ./data)
run: build
	$(BIN) serve

## build: the msphub binary, with the front-end assets embedded
build: assets
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/msphub

## assets: install the npm packages when missing and build frontend/dist
assets: frontend/dist/app.css

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

frontend/dist/app.css: frontend/node_modules/.package-lock.json frontend/build.mjs $(wildcard frontend/src/*)
	cd frontend && node build.mjs

## test: install what is missing, start throwaway PostgreSQL and MinIO, run everything, stop them
test: assets
	bash .ci/deps.sh
	$(GO) build -o $(TESTENV) ./cmd/testenv
	$(TESTENV) exec -- $(MAKE) --no-print-directory test-suites

# SECOND_S3_TESTS are the storage contract suite and the API's upload and export tests, which the
# suites run a third time against the second S3 server that testenv serves. TestS3RefusesBadConfiguration
# stays MinIO's alone: the second server does not check request signatures.
SECOND_S3_TESTS := -run 'TestS3$$|TestUploadTakesExactlyOneFile|TestTamperedEvidenceFailsDownloadAndExport|TestEveryEvidenceViewIsACustodyEvent|TestGuidanceAttachmentTypeFromContent|TestGuidanceAcknowledgementExport|TestTrainingMaterialVisibility' ./storage/ ./api/

# test-suites runs inside testenv, which provides MSPHUB_TEST_POSTGRES_URL and MSPHUB_TEST_S3_*.
test-suites:
	$(GO) vet ./...
	@echo "== Go suite on SQLite + local disk"
	MSPHUB_TEST_BACKEND=sqlite $(GO) test -count=1 -timeout 40m ./...
	@echo "== Go suite on PostgreSQL + MinIO"
	MSPHUB_TEST_BACKEND=postgres $(GO) test -count=1 -timeout 40m ./...
	@echo "== Storage contract, upload and export tests on PostgreSQL + a second S3 server ($$MSPHUB_TEST_S3B_SERVER)"
	MSPHUB_TEST_BACKEND=postgres MSPHUB_TEST_S3_ENDPOINT="$$MSPHUB_TEST_S3B_ENDPOINT" \
		MSPHUB_TEST_S3_ACCESS_KEY="$$MSPHUB_TEST_S3B_ACCESS_KEY" MSPHUB_TEST_S3_SECRET_KEY="$$MSPHUB_TEST_S3B_SECRET_KEY" \
		$(GO) test -count=1 -timeout 20m $(SECOND_S3_TESTS)
	@echo "== Browser tests in headless Chromium"
	MSPHUB_TEST_CHROMIUM="$(CHROMIUM)" $(GO) test -count=1 -timeout 20m -tags browser -run Browser ./cmd/msphub/

## fuzz: run each fuzz target for FUZZTIME (default 60s), one after another. `make test` runs
## only their seed corpus (testdata/fuzz and the f.Add seeds), as ordinary tests.
FUZZTIME ?= 60s
FUZZ_TARGETS := \
	./models/casefile/:FuzzNormaliseURN \
	./models/casefile/:FuzzExhibitReference \
	./models/casefile/schedule/:FuzzScheduleDescription \
	./models/guidance/:FuzzRenderGuidanceMarkdown \
	./api/:FuzzBindJSON \
	./api/:FuzzDateJSON \
	./api/:FuzzDateInput \
	./api/:FuzzUploadForm \
	./api/:FuzzContentDisposition \
	./models/operations/:FuzzImportFile

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -parallel 2 $$pkg; \
	done

## bench: the benchmarks on both backends (throughput, memory, decisions per second)
bench: assets
	bash .ci/deps.sh
	$(GO) build -o $(TESTENV) ./cmd/testenv
	$(TESTENV) exec -- $(MAKE) --no-print-directory bench-suites

# BENCHES are package:pattern:benchtime, each run on both backends; SQLITE_BENCHES need no
# server (policy decisions, password hashing), POSTGRES_BENCHES measure against MinIO and
# PostgreSQL themselves (the 2 GiB pack beside raw PutObject, replicas sharing one database).
BENCHES := \
	./storage/:.:1x \
	./models/core/:AuditSequence:1x \
	./models/core/:AuditRecord:2000x \
	./api/:SignIn:20x \
	./api/:EnrolmentContention:3x \
	./api/:Catalogue16Readers:2000x \
	./models/casefile/:CaseList100k:200x \
	./api/:^BenchmarkGuidanceLibrary$$:200x \
	./models/operations/:^BenchmarkImport5000Rows$$:1x \
	./api/:^BenchmarkNationalDashboard$$:50x \
	./api/:^BenchmarkRatio:8000x \
	./api/:^BenchmarkCatalogueNotModified$$:2000x
SQLITE_BENCHES := ./policies/:.:100000x ./models/identity/:Password|CheckPassword:20x
POSTGRES_BENCHES := ./api/:EvidencePack2GiB:1x ./cmd/msphub/:ListPageThroughReplicas:4000x

bench-suites:
	@set -e; for backend in sqlite postgres; do \
		if [ $$backend = sqlite ]; then extra="$(SQLITE_BENCHES)"; echo "== Benchmarks on SQLite + local disk"; \
		else extra="$(POSTGRES_BENCHES)"; echo "== Benchmarks on PostgreSQL + MinIO"; fi; \
		for b in $(BENCHES) $$extra; do \
			pkg=$${b%%:*}; rest=$${b#*:}; pattern=$${rest%:*}; times=$${rest##*:}; \
			echo "MSPHUB_TEST_BACKEND=$$backend go test -bench '$$pattern' -benchtime $$times $$pkg"; \
			MSPHUB_TEST_BACKEND=$$backend $(GO) test -count=1 -run '^$$' -bench "$$pattern" -benchtime $$times -timeout 60m $$pkg; \
		done; \
	done

clean:
	rm -rf bin frontend/node_modules
	find frontend/dist -mindepth 1 ! -name .gitkeep -delete
