# Two entry points: `make run` and `make test`. Both install what is missing first.
LAB       ?= lab
AIKMOCK   := build/dev/aikmock
SERVE_ARGS ?=

.PHONY: run test deps build build-asan test-dev test-asan fuzz lab docs clean

run: build lab
	exec $(AIKMOCK) serve --lab $(LAB) $(SERVE_ARGS)

test: build build-asan
	ctest --preset dev
	ctest --preset asan

deps:
	@scripts/install-deps.sh

build: deps
	@[ -f build/dev/build.ninja ] || cmake --preset dev
	cmake --build --preset dev

build-asan: deps
	@[ -f build/asan/build.ninja ] || cmake --preset asan
	cmake --build --preset asan

test-dev: build
	ctest --preset dev

test-asan: build-asan
	ctest --preset asan

fuzz: deps
	@[ -f build/fuzz/build.ninja ] || cmake --preset fuzz
	cmake --build --preset fuzz

lab: build
	@[ -f $(LAB)/manifest.json ] || $(AIKMOCK) pki init --out $(LAB)

# Regenerates the docs that are made from code (the error table).
docs: build
	$(AIKMOCK) errors --markdown > docs/errors.md

clean:
	rm -rf build
