# pimforge: the commands a newcomer needs. `make verify` is the full check (CI runs it).
SHELL   := /bin/bash
CARGO   ?= cargo
BUILD   ?= build
PIMFORGE = target/release/pimforge
# Small presets: linted, simulated in lock-step and synthesised in `make verify`.
SYNTH_PRESETS := tiny narrow-adc shared-adc noisy mixed
# The Tiki-Taka presets are linted and simulated in lock-step; their synthesis (Yosys 0.23 on
# the unit's wide H datapath) takes over ten minutes and is left out of `make verify`.
PRESETS := $(SYNTH_PRESETS) noisy-rect tiki tiki-agad tiki-ideal
# The JUnit schema the tests validate JUnit files against (fetched by `make deps`).
JUNIT_XSD := $(BUILD)/schemas/junit-10.xsd
# Preset of `make synth` (the 64-tile default takes minutes: see README).
SYNTH_PRESET ?= tiny

.PHONY: all deps build gen snapshots lint test synth synth-solver synth-lowrank synth-all verify bench accuracy regress-full mutate clean

all: verify

# Installs the EDA tools when missing (Debian packages, sudo when not root; FuseSoC from PyPI),
# and zlib's headers, which Verilator's FST waveform writer is compiled with.
deps:
	@missing=""; \
	for t in verilator yosys iverilog; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	[ -f /usr/include/zlib.h ] || missing="$$missing zlib1g-dev"; \
	command -v xmllint >/dev/null 2>&1 || missing="$$missing libxml2-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi; \
	verilator --version; yosys -V; iverilog -V 2>/dev/null | head -n 1
	@# FuseSoC (PyPI), for the test of the generated core.
	@command -v fusesoc >/dev/null 2>&1 || { echo "make deps: installing fusesoc"; \
	  python3 -m pip install -q fusesoc 2>/dev/null || python3 -m pip install -q --break-system-packages fusesoc; \
	  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi; }
	@fusesoc --version
	@# The JUnit schema of Jenkins' xunit plugin (junit-10.xsd), which pytest checks its own JUnit
	@# output against and ships in its source distribution: the tests validate ours with it.
	@[ -f $(JUNIT_XSD) ] || { echo "make deps: fetching junit-10.xsd (pytest's source distribution, PyPI)"; \
	  d=$$(mktemp -d) && python3 -m pip download -q --no-deps --no-binary :all: -d $$d pytest==8.3.4 \
	  && mkdir -p $(dir $(JUNIT_XSD)) \
	  && tar -xzf $$d/pytest-8.3.4.tar.gz -O pytest-8.3.4/testing/example_scripts/junit-10.xsd > $(JUNIT_XSD).partial \
	  && mv $(JUNIT_XSD).partial $(JUNIT_XSD); rm -rf $$d; }
	@[ -f $(JUNIT_XSD) ]

# The release binary and every test binary, in one cargo invocation. The tests' dev-dependencies
# (wellen, assert_cmd) turn on features of crates the binary shares with them (miniz_oxide,
# indexmap, syn, ...): built apart, the binary and the tests would each compile the workspace and
# half its dependencies once (over 70 s of compilation in `make verify`: docs/verification.md).
build:
	$(CARGO) build --release --workspace --lib --bins --tests

# The main job: the 64-tile default array into rtl/.
gen: build
	$(PIMFORGE) gen --tiles 64

# Rewrites the committed RTL snapshots (rtl/, tests/snapshots/) after a reviewed template change.
snapshots: build
	$(PIMFORGE) gen --tiles 64
	rm -rf tests/snapshots/tiny tests/snapshots/solver4
	$(PIMFORGE) gen --preset tiny --out tests/snapshots/tiny
	$(PIMFORGE) gen --config configs/solver4.yaml --out tests/snapshots/solver4

# Verilator -Wall lint and an Icarus compile of every small preset and of the 64-tile default.
# Icarus 11 prints "sorry" notes for constructs it accepts but simplifies (`unique` qualifiers,
# sensitivity to whole vectors): they are filtered; its exit status still counts (pipefail).
lint: deps build
	@set -eo pipefail; for p in $(PRESETS); do \
	  $(PIMFORGE) gen --preset $$p --out $(BUILD)/lint/$$p >/dev/null; \
	  (cd $(BUILD)/lint/$$p && verilator --lint-only -Wall -f pimforge.f --top-module pim_array \
	    && iverilog -g2012 -o /dev/null -s pim_array $$(cat pimforge.f) 2>&1 | { grep -v 'sorry:' || true; }); \
	  echo "lint: $$p clean (verilator -Wall, iverilog -g2012)"; \
	done
	@set -eo pipefail; $(PIMFORGE) gen --config configs/inv16.yaml --out $(BUILD)/lint/inv16 >/dev/null; \
	  (cd $(BUILD)/lint/inv16 && verilator --lint-only -Wall -f pim_solver.f --top-module pim_solver \
	    && iverilog -g2012 -o /dev/null -s pim_solver $$(cat pim_solver.f) 2>&1 | { grep -v 'sorry:' || true; }); \
	  echo "lint: pim_solver (pim_refine + pim_inv + pim_tile, configs/inv16.yaml) clean (verilator -Wall, iverilog -g2012)"
	@set -eo pipefail; $(PIMFORGE) gen --config configs/lowrank.yaml --out $(BUILD)/lint/lowrank >/dev/null; \
	  (cd $(BUILD)/lint/lowrank && verilator --lint-only -Wall -f pimforge.f --top-module pim_array \
	    && iverilog -g2012 -o /dev/null -s pim_array $$(cat pimforge.f) 2>&1 | { grep -v 'sorry:' || true; } \
	    && verilator --lint-only -Wall -f pim_lowrank.f --top-module pim_lowrank_solo \
	    && iverilog -g2012 -o /dev/null -s pim_lowrank_solo $$(cat pim_lowrank.f) 2>&1 | { grep -v 'sorry:' || true; } \
	    && yosys -q -p "read_verilog -sv $$(cat pim_lowrank.f | tr '\n' ' '); hierarchy -check -top pim_lowrank_solo" 2>&1 \
	      | { grep -v 'Replacing memory' || true; }); \
	  echo "lint: tiles with pim_lowrank, and pim_lowrank_solo (configs/lowrank.yaml) clean (verilator -Wall, iverilog -g2012, read by Yosys; its synthesis takes minutes: make synth-lowrank)"
	$(PIMFORGE) gen --tiles 64 --out $(BUILD)/lint/puma64 >/dev/null
	cd $(BUILD)/lint/puma64 && verilator --lint-only -Wall -f pimforge.f --top-module pim_array
	@echo "lint: puma (64 tiles of 128x128) clean (verilator -Wall)"

# Unit, integration and lock-step tests (there are no doc tests). Every `test result` line is
# kept in build/test.log for the closing tally of `make verify`.
test: deps
	@mkdir -p $(BUILD)
	set -o pipefail; $(CARGO) test --release --workspace --lib --bins --tests 2>&1 | tee $(BUILD)/test.log

synth: synth-preset-$(SYNTH_PRESET)

# The refinement controller of a 4x4 solver (with its tile's modules).
synth-solver: deps build
	$(PIMFORGE) synth --config configs/solver4.yaml --json $(BUILD)/synth-solver4.json

# SBPCA's low-rank unit of the digits design (rank 4, batch 128); not in verify (Yosys takes
# about ten minutes on its wide multipliers).
synth-lowrank: deps build
	$(PIMFORGE) synth --config configs/lowrank-digits.yaml --json $(BUILD)/synth-lowrank-digits.json

# Synthesis of the 4x4 solver and of every small preset, one target each, so that `make -j2`
# runs two side by side once a core is free; the longest first, so that the last to end is short.
synth-all: synth-solver $(addprefix synth-preset-,$(SYNTH_PRESETS))

synth-preset-%: deps build
	$(PIMFORGE) synth --preset $* --json $(BUILD)/synth-$*.json

# Lint, tests and synthesis run side by side (two jobs: Yosys and Verilator's lint are single
# threads), each job's output printed whole when it ends. Then the CI regression list
# (regress/ci.yaml, two runs at once, JUnit in build/regress-ci.xml): every preset with a fresh
# seed, every coverage bin it can reach required; and lock-step streams of three presets
# replayed on Icarus, compared with Verilator's outputs on every cycle.
verify: deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory -j2 --output-sync=target lint test synth-all
	@echo "== the CI regression, regress/ci.yaml: every preset with a fresh seed and full coverage, Icarus replays"
	$(PIMFORGE) regress regress/ci.yaml --jobs 2 --junit $(BUILD)/regress-ci.xml
	@echo "make verify: formatting, clippy, lint of $(PRESETS), pim_solver, pim_lowrank and the 64-tile default, golden-model, lock-step and training tests, synthesis of $(SYNTH_PRESETS) and the 4x4 solver, the CI regression list regress/ci.yaml (full coverage of every preset, Icarus equal to Verilator): all passed"
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "%d passed, %d failed\n", p, f }' $(BUILD)/test.log

# Performance figures (not run in CI): gen time; training throughput, golden model and RTL in
# lock-step; every model's build time; the lock-step harness (pipelined and inline)
# against the bare Verilator loop, the 128x128 tile included, with each stimulus's command mix.
# PIMFORGE_BENCH_QUICK=1 leaves out the 64-tile default (its lock-step rows take minutes).
bench: deps
	$(CARGO) bench --bench harness

# Opt-in: full-length training runs (50 epochs, seeds 0..4) on the golden model, the accuracy
# table against the float64 reference, and one plot per algorithm (about 12 minutes on 2 cores).
ACCURACY_SEEDS ?= 0 1 2 3 4
accuracy: build
	@for s in $(ACCURACY_SEEDS); do \
	  $(PIMFORGE) train --quiet --preset digits-wide --algorithm opa --seed $$s --out $(BUILD)/accuracy/digits-wide-opa-s$$s & \
	  $(PIMFORGE) train --quiet --preset digits --algorithm opa --seed $$s --out $(BUILD)/accuracy/digits-opa-s$$s; \
	  $(PIMFORGE) train --quiet --preset digits-mixed --algorithm mixed --seed $$s --out $(BUILD)/accuracy/digits-mixed-mixed-s$$s; \
	  wait; \
	done
	$(PIMFORGE) plot --out $(BUILD)/accuracy/plot $(BUILD)/accuracy/*-s0/report.json $(BUILD)/accuracy/*-s[1-9]/report.json

# Opt-in long regression, regress/full.yaml: the full-size 128x128 tile in lock-step, the 64-tile
# default with 100 products over all its tiles (a 40 s model build, then about 8 minutes of
# lock-step at 2.8 GB: docs/verification.md, Speed), then every preset with three more seeds.
regress-full: deps build
	$(PIMFORGE) regress regress/full.yaml --jobs 2 --junit $(BUILD)/regress-full.xml

# Opt-in: mutation campaigns over every template (like mcy): one-line bugs drawn from each
# generated file, each linted, built and run through the CI regression (seed 100, 1000 products)
# on its design and, while it survives, on the other presets that render the line alike (the CI
# regression runs every preset); reports in build/mutate/<design>/report.md.
mutate: deps build
	$(PIMFORGE) mutate --preset noisy --also tiny,narrow-adc,noisy-rect,shared-adc --per-file 5 --icarus
	$(PIMFORGE) mutate --preset mixed --files pim_mixed.sv --per-file 6
	$(PIMFORGE) mutate --preset tiki --also tiki-agad,tiki-ideal --files pim_tiki.sv --per-file 6
	$(PIMFORGE) mutate --preset solver --files pim_inv.sv,pim_refine.sv,pim_solver.sv --per-file 4

clean:
	rm -rf $(BUILD)
