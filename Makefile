# robust: build, test, benchmark. `make test` works on a fresh machine (it installs what it needs).
SWIFT ?= swift
# chromium: ReportsTests renders the HTML report headless and checks the screenshot.
APT_PACKAGES := libpng-dev libturbojpeg0-dev zlib1g-dev dataset-fashion-mnist pkg-config chromium python3
BIN := .build/release/robust

.PHONY: setup build test test-slurm sanitize fuzz eval gate baseline bench models robust-models certified-models private-models showcase clean

## setup: install the system packages robust needs (idempotent; apt-get only what is missing).
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else echo "setup: system packages present"; fi

## build: release build of the robust CLI.
build: setup
	$(SWIFT) build -c release

## test: the import rules (scripts/check_imports.py), then the whole test suite. Release mode: the kernels are
## hundreds of times slower in debug.
test: setup
	python3 scripts/check_imports.py
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

## test-slurm: sharding on a real one-node Slurm cluster (as root; apt-gets slurm-wlm and munge if missing): a
## 3-task eval array and a dependent merge job, checked against the same evaluation in one process. About 20 s.
test-slurm: build
	scripts/slurm_test.sh

## sanitize: ThreadSanitizer on the tests that run threads (worker pool, GEMM splits, convolutions, micro-batched
## attacks, the eval and training loops, shards), then AddressSanitizer with LeakSanitizer on the whole suite
## (separate build folders, about 4 and 8 minutes to build on 2 cores; TSan makes the attack tests too slow to run
## them all). Leaks are checked in every robust process the tests start (XCTest itself leaks, so not in the test
## runner); scripts/lsan.supp names the known leaks, all in packages. Fails on any report. Not part of `make test`.
TSAN_TESTS := KernelsTests|MicroBatchTests|EvaluationTests|TrainerTests|Conv2dTests|ShardTests
sanitize: setup
	$(SWIFT) build -c release --build-tests --scratch-path .build-tsan -Xswiftc -sanitize=thread
	TSAN_OPTIONS="halt_on_error=1 report_signal_unsafe=0" $(SWIFT) test -c release --skip-build --scratch-path .build-tsan --filter '$(TSAN_TESTS)'
	$(SWIFT) build -c release --build-tests --scratch-path .build-asan -Xswiftc -sanitize=address
	ASAN_OPTIONS="detect_leaks=0 halt_on_error=1" ROBUST_CHILD_ASAN_OPTIONS="detect_leaks=1 halt_on_error=1" \
	  LSAN_OPTIONS="suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0" \
	  $(SWIFT) test -c release --skip-build --scratch-path .build-asan

## fuzz: libFuzzer with AddressSanitizer on every input format robust reads (IDX plain and gzip'd, PNG, JPEG, CIFAR,
## safetensors, ONNX, suite and gate YAML, --eps, --require): FUZZ_SECONDS each (default 60) or 1,000,000 inputs,
## whichever comes first; FUZZ_TARGETS="png jpeg" picks some. Findings land in .fuzz/findings/TARGET and fail the
## run. lld links it (gold fails on ASan's symbols). Not part of `make test`, which replays saved findings.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: setup
	$(SWIFT) build -c release --scratch-path .build-fuzz --product robust-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_TARGETS)

## eval: the main job. PGD-10 (L-inf, 7 epsilons) on the shipped cnn over the whole Fashion-MNIST
## test set; prints the curve and the path of the HTML report.
EVAL_OUT := reports/eval-cnn-pgd
eval: build
	$(BIN) eval --model cnn --attack pgd --out $(EVAL_OUT)
	@echo "HTML report: $(CURDIR)/$(EVAL_OUT)/index.html"

## gate: the CI gate on the shipped cnn against the committed baseline (as docs/ci runs it).
gate: build
	$(BIN) eval --suite attacks/quick.yaml --model cnn --samples 1000 --out reports/ci
	$(BIN) gate reports/ci --baseline reports/baseline/results.json --max-drop 0.02 --require 'clean>=0.90' \
	  --require 'pgd@0.05>=0.10' --junit reports/ci/junit.xml

## baseline: re-record the gate's baseline (commit reports/baseline/results.json afterwards).
baseline: build
	$(BIN) eval --suite attacks/quick.yaml --model cnn --samples 1000 --out reports/baseline

## bench: kernel throughput on this machine, robust and numpy side by side (see BENCHMARKS.md).
bench: build
	scripts/bench.sh

## models: retrain the shipped Fashion-MNIST checkpoints with their recorded recipes (seeded, reproducible).
TRAIN := $(BIN) train --dataset fashion-mnist --optimizer sgd --momentum 0.9 --nesterov --weight-decay 5e-4 --schedule cosine --seed 1
models: build
	$(TRAIN) --model mlp --epochs 15 --lr 0.05 --batch-size 128 --out models/mlp-fmnist
	$(TRAIN) --model cnn --epochs 15 --lr 0.05 --batch-size 128 --out models/cnn-fmnist
	$(TRAIN) --model resnet-lite --epochs 10 --lr 0.1 --batch-size 128 --out models/resnet-lite-fmnist

## robust-models: the adversarially trained cnn (PGD-7, eps 0.1; Madry et al.) and, for comparison, fast
## adversarial training (FGSM with random start). About 40 minutes on 2 cores.
ADV := $(BIN) train --model cnn --dataset fashion-mnist --optimizer sgd --lr 0.05 --momentum 0.9 --nesterov --weight-decay 5e-4 --schedule cosine --seed 1 --eps 0.1 --eps-warmup-epochs 1
robust-models: build
	$(ADV) --adv pgd --adv-steps 7 --epochs 8 --out models/cnn-fmnist-pgd
	$(ADV) --adv fgsm-rs --epochs 8 --out reports/cnn-fmnist-fgsm-rs

## certified-models: the certifiably robust cnn (interval bound propagation training, Gowal et al. 2018: eps 0.1
## ramped over 8 epochs with kappa 1 -> 0.5, Adam 1e-3 cosine, 16 epochs), certified over the default grid with
## IBP and CROWN and recorded in its card, then the standard L-inf suite beside its certificates (the soundness
## check). About 65 minutes on one core for the training, 25 for the suite.
IBP := $(BIN) train --model cnn --dataset fashion-mnist --adv ibp --eps 0.1 --eps-warmup-epochs 8 --adv-mix 0.5 --epochs 16 \
	--optimizer adam --lr 1e-3 --schedule cosine --batch-size 128 --seed 1
certified-models: build
	$(IBP) --out models/cnn-fmnist-ibp
	$(BIN) certify --model cnn-fmnist-ibp --method ibp,crown --out reports/cnn-fmnist-ibp-certify
	$(BIN) models record reports/cnn-fmnist-ibp-certify
	$(BIN) eval --model cnn-fmnist-ibp --suite attacks/standard-linf.yaml --eps 0.01,0.02,0.05,0.1 --certify ibp,crown \
	  --samples 1000 --no-extra-checks --out reports/cnn-fmnist-ibp-standard
	$(BIN) models record reports/cnn-fmnist-ibp-standard

## private-models: the differentially private cnn (DP-SGD, epsilon 3 at delta 1e-5 over 40 epochs; the recipe of
## Tramer & Boneh 2021: batches of 2048, C 0.1, SGD lr 4 momentum 0.9), then its membership-inference audit (the
## card's guarantee checked against the measured ROC). About 50 minutes on one core.
DP := $(BIN) train --model cnn --dataset fashion-mnist --dp --target-epsilon 3 --delta 1e-5 --max-grad-norm 0.1 \
	--batch-size 2048 --epochs 40 --optimizer sgd --lr 4 --momentum 0.9 --schedule constant --seed 1
private-models: build
	$(DP) --out models/cnn-fmnist-dp
	$(BIN) privacy --model cnn-fmnist-dp --attack loss --members train:0:10000 --non-members test:0:10000 \
	  --out reports/cnn-fmnist-dp-privacy
	$(BIN) privacy --model cnn --attack loss --members train:0:10000 --non-members test:0:10000 --out reports/cnn-privacy
	$(BIN) eval --model cnn --suite attacks/quick.yaml --samples 1000 --no-extra-checks --out reports/privacy-showcase-cnn
	$(BIN) eval --model cnn-fmnist-dp --suite attacks/quick.yaml --samples 1000 --no-extra-checks --out reports/privacy-showcase-cnn-fmnist-dp
	$(BIN) models record reports/privacy-showcase-cnn-fmnist-dp
	$(BIN) report reports/privacy-showcase-cnn reports/privacy-showcase-cnn-fmnist-dp reports/cnn-privacy \
	  reports/cnn-fmnist-dp-privacy --out reports/showcase/privacy

## showcase: the standard and the robust cnn under the same attacks, one comparison report (committed).
showcase: build
	$(BIN) eval --model cnn --suite attacks/quick.yaml --eps 0:0.2:0.025 --out reports/showcase/cnn
	$(BIN) eval --model cnn-fmnist-pgd --suite attacks/quick.yaml --eps 0:0.2:0.025 --out reports/showcase/cnn-pgd
	$(BIN) report reports/showcase/cnn reports/showcase/cnn-pgd --out reports/showcase

clean:
	rm -rf .build
