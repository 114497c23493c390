# lsgd — two commands do everything on a fresh Debian machine:
#   make demo   generate 1M rows, fit them on the CPU (and the GPU when there is one), check against the exact solve
#   make test   every test, GPU tests included (through EGL, on Mesa llvmpipe when there is no GPU; no X server)
# Both install what they need first (.ci/deps.sh: apt packages, EGL, Xvfb for the GLX test, Go).
#   make gpu-bundle   the GPU-server check: bin/lsgd-egl and the loader packages in .gl/ (see .ci/gpu-bundle.sh)
#   make lsgd-beam    bin/lsgd-beam: lsgd solve as Apache Beam pipelines (own module cmd/lsgd-beam; Beam stays out of bin/lsgd)

SHELL := /bin/bash
GOBIN_DIR := $(shell bash .ci/deps.sh | tail -n1)
export PATH := $(GOBIN_DIR):$(PATH)
OUT ?= out
ROWS ?= 1000000
FEATURES ?= 32

.PHONY: all build demo test bench fuzz clean gpu-bundle lsgd-beam

all: build

build:
	go build -o bin/lsgd ./cmd/lsgd

lsgd-beam:
	cd cmd/lsgd-beam && go build -o ../../bin/lsgd-beam .

demo: build
	@mkdir -p $(OUT)
	bin/lsgd devices
	bin/lsgd gen --rows $(ROWS) --features $(FEATURES) --cond 10 --noise 0.1 --seed 1 --out $(OUT)/demo.npy
	bin/lsgd train --data $(OUT)/demo.npy --verify
	bin/lsgd solve --data $(OUT)/demo.npy

test:
	bash .ci/test.sh

bench: build
	bash .ci/bench-peers.sh

fuzz:
	go test -run '^$$' -fuzz FuzzReadCSV -fuzztime 2m ./tableio
	go test -run '^$$' -fuzz FuzzReadNPY -fuzztime 2m ./tableio
	go test -run '^$$' -fuzz FuzzCommand -fuzztime 2m ./cmd/lsgd
	go test -run '^$$' -fuzz FuzzReadParquet -fuzztime 2m ./tableio
	go test -run '^$$' -fuzz FuzzMapNPY -fuzztime 2m ./tableio
	go test -run '^$$' -fuzz FuzzLoadWeights -fuzztime 2m ./tableio

gpu-bundle:
	bash .ci/gpu-bundle.sh

clean:
	rm -rf bin $(OUT)
