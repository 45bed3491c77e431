# One entry point for developers and CI. Every target creates what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_FILES := $(shell find protos/tagen -name '*.proto')
GEN_STAMP := gen/.stamp
SITE = $(shell $(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

.PHONY: all install proto run test lint buf-lint bench clean

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

run: $(GEN_STAMP)
	$(BIN)/tagen run

test: $(GEN_STAMP)
	$(BIN)/pytest -q -n 2 --dist loadgroup

lint: $(GEN_STAMP)
	$(BIN)/ruff check .
	$(MAKE) buf-lint

buf-lint: $(GEN_STAMP)
	cd protos && npx --yes @bufbuild/buf@1.75.0 lint

bench: $(GEN_STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf gen protos/google $(VENV)
