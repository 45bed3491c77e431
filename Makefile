# One entry point for developers and CI. Every target creates what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_FILES := $(shell find protos/tagen -name '*.proto')
GEN_STAMP := gen/.stamp
SITE = $(shell $(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

.PHONY: all install proto web browser run test lint buf-lint bench clean

all: install proto

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# Generated protobuf code goes to gen/ (never committed); a .pth file puts it on the path.
$(GEN_STAMP): $(STAMP) $(PROTO_FILES)
	rm -rf gen protos/google && mkdir -p gen protos/google/api
	cp $(SITE)/google/api/annotations.proto $(SITE)/google/api/http.proto protos/google/api/
	cd protos && ../$(BIN)/python -m grpc_tools.protoc -I . \
		--python_out=../gen --grpc_python_out=../gen --pyi_out=../gen \
		$(patsubst protos/%,%,$(PROTO_FILES))
	echo "$(CURDIR)/gen" > $(SITE)/tagen_generated.pth
	touch $@

proto: $(GEN_STAMP)

# The web console (web/): npm packages, the OpenAPI document written by `tagen openapi` (no
# server), the TypeScript API types generated from it, then the Vite build into web/dist.
WEB_SOURCES := $(shell find web/src web/public -type f -not -name schema.d.ts 2>/dev/null) \
	web/index.html web/vite.config.ts web/tsconfig.json
WEB_DEPS := web/node_modules/.installed
OPENAPI := build/openapi.json
WEB_TYPES := web/src/api/schema.d.ts
WEB_BUILD := web/dist/index.html

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(OPENAPI): $(GEN_STAMP) $(shell find services/gateway -name '*.py')
	mkdir -p $(dir $@)
	$(BIN)/tagen openapi --out $@

$(WEB_TYPES): $(OPENAPI) $(WEB_DEPS)
	cd web && npx openapi-typescript ../$(OPENAPI) -o src/api/schema.d.ts --silent

$(WEB_BUILD): $(WEB_TYPES) $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run --silent build -- --logLevel warn

web: $(WEB_BUILD)

# The browser tests use Debian's Chromium; installed here when missing and we are root.
browser:
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "chromium could not be installed: the browser tests will be skipped"

run: $(GEN_STAMP) $(WEB_BUILD)
	$(BIN)/tagen run

test: $(GEN_STAMP) $(WEB_BUILD) browser
	$(BIN)/pytest -q -n 2 --dist loadgroup

lint: $(GEN_STAMP)
	$(BIN)/ruff check .
	$(MAKE) buf-lint

buf-lint: $(GEN_STAMP)
	cd protos && npx --yes @bufbuild/buf@1.75.0 lint

bench: $(GEN_STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf gen protos/google $(VENV) build web/dist web/node_modules $(WEB_TYPES)
