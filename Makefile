# sanxian — see README.md. `make run` serves the embedded sample at
# http://localhost:8080; `make test` installs what the tests need and runs
# them all.

GO      ?= go
BIN     := bin/sanxian
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
LOADADDR ?= 127.0.0.1:18080

.PHONY: all build run test deps browser-deps pg-deps vet fmt-check fuzz-smoke fuzz bench bench-batch bench-switch loadtest sample sample-x10 compare clean

all: build

deps:
	$(GO) mod download

# Debian's chromium (and a CJK font) for the browser tests. Without root
# it only warns: the browser tests then skip, except under CI where they
# fail.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null; \
	  else \
	    echo "chromium is missing and this is not root: install it with apt-get install chromium fonts-wqy-microhei"; \
	  fi; \
	fi

# Debian's PostgreSQL server and PostGIS for the tests that start a
# throwaway cluster (internal/pgtest; PostGIS for the import from tables).
# Found like pgtest finds it: pg_config --bindir, else
# /usr/lib/postgresql/N/bin. Without root it only warns: those tests then
# skip, except under CI where they fail.
pg-deps:
	@bindir=$$(pg_config --bindir 2>/dev/null); \
	if { [ ! -x "$$bindir/initdb" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || \
	   ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's postgresql and postgis for the database tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql postgresql-postgis >/dev/null; \
	  else \
	    echo "PostgreSQL's server or PostGIS is missing and this is not root: install them with apt-get install postgresql postgresql-postgis"; \
	  fi; \
	fi

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/sanxian

run: build
	./$(BIN) serve

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: deps
	$(GO) vet ./...

# Every fuzz target for FUZZTIME each (1 s: the 23 targets took 67 s, and
# 124 s at 3 s, on a shared 2-core machine, most of it building and
# starting the binaries), one fuzzing run per target (Go
# fuzzes one target at a time), no -race. Each package with fuzz targets
# is built once with the fuzzer's instrumentation (go test -c -fuzz) and
# its binary lists the targets (-test.list, so new ones are picked up) and
# runs each: a go test -fuzz per target would link the binary again every
# time, which cost more than the fuzzing. A crash fails the run and leaves
# the input in the package's testdata/fuzz/<target>/: commit it as a
# regression seed (docs/fuzzing.md). A bare "context deadline exceeded"
# with no input written is Go 1.26's coordinator racing its own -fuzztime
# deadline on a loaded machine (go.dev/issue/75804): reported, not failed.
# The fuzzer's growing corpus lives in GOCACHE, not here.
FUZZTIME ?= 1s
FUZZPARALLEL ?= 2
# Go minimises every new interesting input for up to a minute by default,
# which left the slower targets (workbooks, imports) minimising instead of
# fuzzing.
FUZZMINIMIZETIME ?= 3s
fuzz-smoke: deps
	@set -e; bin=$$(mktemp -d); trap 'rm -rf "$$bin"' EXIT; cache=$$($(GO) env GOCACHE)/fuzz; \
	for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  pkg=$$(cd "$$dir" && $(GO) list .); \
	  $(GO) test -c -fuzz '^Fuzz' -o "$$bin/fuzz.test" "$$dir"; \
	  targets=$$(cd "$$dir" && "$$bin/fuzz.test" -test.list '^Fuzz'); \
	  for t in $$targets; do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    before=$$(ls "$$dir/testdata/fuzz/$$t" 2>/dev/null | wc -l); \
	    if (cd "$$dir" && "$$bin/fuzz.test" -test.run '^$$' -test.fuzz "^$$t\$$" -test.fuzztime $(FUZZTIME) \
	      -test.fuzzminimizetime $(FUZZMINIMIZETIME) -test.parallel $(FUZZPARALLEL) -test.fuzzcachedir "$$cache/$$pkg") >"$$bin/out" 2>&1; then \
	      grep -v '^fuzz: elapsed' "$$bin/out"; \
	    else \
	      cat "$$bin/out"; \
	      if [ "$$(ls "$$dir/testdata/fuzz/$$t" 2>/dev/null | wc -l)" = "$$before" ] && grep -q 'context deadline exceeded' "$$bin/out"; then \
	        echo "(no crasher written: Go's own race at the end of -fuzztime, go.dev/issue/75804, fixed in Go 1.27; not a failure)"; \
	      else exit 1; fi; \
	    fi; \
	  done; \
	done

# Longer fuzzing: every target for a minute (make fuzz FUZZTIME=10m for more).
fuzz: FUZZTIME = 60s
fuzz: fuzz-smoke

# Browser tests leave their screenshots and the report PDF in artifacts/.
test: deps browser-deps pg-deps fmt-check vet fuzz-smoke
	SANXIAN_ARTIFACTS=$(CURDIR)/artifacts $(GO) test -race -count=1 -timeout 30m ./...

# Benchmarks: engine (synthetic partition of the sample's size) and the
# sample itself, each beside a naive baseline.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./geo ./admission ./web

# Dataset version switches under load: p99 of point checks while two
# copies of the sample are activated back to back, against steady p99
# (target ≤ 2×), with the built binary.
bench-switch: deps
	$(GO) test ./cmd/sanxian -run '^$$' -bench VersionSwitch -benchtime 1x

# Batch screening end to end (read the list → check every row → write the
# workbook) with the command line, under /usr/bin/time for wall time and
# peak memory: 100,000 points and 10,000 parcels of 64 vertices inside the
# sample's districts.
BENCHDIR ?= /tmp/sanxian-bench
bench-batch: build
	@mkdir -p $(BENCHDIR)
	$(GO) run ./cmd/listgen -n 100000 -kind point -o $(BENCHDIR)/points-100k.xlsx
	$(GO) run ./cmd/listgen -n 10000 -kind polygon -vertices 64 -radius 400 -o $(BENCHDIR)/parcels-10k.xlsx
	@for f in points-100k parcels-10k; do \
	  echo "== $$f"; \
	  /usr/bin/time -f "wall %e s, peak RSS %M KB" ./$(BIN) batch --quiet $(BENCHDIR)/$$f.xlsx -o $(BENCHDIR)/$$f-result.xlsx; \
	done

# Sustained load test against a real server on loopback, serving the
# sample: LOADDURATION (60 s) of mixed points, lines (1–30 km) and
# polygons (1–100 ha) with industries, closed loop at 4× the server's
# GOMAXPROCS; prints latency, throughput, errors and the server's memory
# with a leak verdict. Fails if any request failed or the heap grew.
# LOADFLAGS adds loadtest flags, e.g. LOADFLAGS='-rate 500' (open loop).
LOADDURATION ?= 60s
LOADFLAGS ?=
loadtest: build
	@state=$$(mktemp -d); \
	./$(BIN) serve --addr $(LOADADDR) --state-dir $$state --log-format json >/tmp/sanxian-loadtest.log 2>&1 & \
	pid=$$!; trap "kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; rm -rf $$state" EXIT; \
	for i in $$(seq 1 100); do curl -fsS http://$(LOADADDR)/readyz >/dev/null 2>&1 && break; sleep 0.1; done; \
	uptime; \
	$(GO) run ./cmd/loadtest -url http://$(LOADADDR) -duration $(LOADDURATION) $(LOADFLAGS)

# Regenerate the committed sample dataset (deterministic).
sample:
	$(GO) run ./cmd/samplegen -out data/sample/chongqing

# A ×10 copy for benchmarks (not committed).
sample-x10:
	$(GO) run ./cmd/samplegen -out /tmp/sanxian-x10 -scale 10

# Side by side with PostGIS (docs/compare.md): a throwaway PostgreSQL +
# PostGIS cluster, the same queries through sanxian (in process and over
# HTTP) and PostGIS on the sample and on the ×10 copy (generated when
# missing); agreement and speed in $(COMPAREDIR)/compare.md and .json.
COMPAREDIR ?= $(CURDIR)/artifacts/compare
X10DIR     ?= /tmp/sanxian-x10
compare: deps pg-deps
	@test -f $(X10DIR)/dataset.json || $(GO) run ./cmd/samplegen -out $(X10DIR) -scale 10
	@mkdir -p $(COMPAREDIR)
	@$(GO) build -o bin/compare ./cmd/compare
	@./bin/compare -datasets sample,$(X10DIR) -md $(COMPAREDIR)/compare.md -json $(COMPAREDIR)/compare.json; \
	rc=$$?; cat $(COMPAREDIR)/compare.md 2>/dev/null; exit $$rc

clean:
	rm -rf bin
