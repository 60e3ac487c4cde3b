# akhbar: `make run` sets everything up and runs the nightly flow on the bundled sample;
# `make test` runs the whole suite. Only Python 3.11 and pip are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the one default data dir (akhbar/settings.py), or AKHBAR_DATA_DIR
DATA   ?= $(or $(AKHBAR_DATA_DIR),data)
INPUT  ?= samples/landing

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false

.PHONY: install run summary test test-fast lint format bench bench-scale bench-dedup clean-data clean serve stop

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev,dask,s3]"
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/akhbar run --input $(INPUT) --data-dir $(DATA)
	$(BIN)/akhbar summary --data-dir $(DATA)

summary: install
	$(BIN)/akhbar summary --data-dir $(DATA)

# The whole suite, slow end-to-end tests included (CI runs this); the 25 slowest tests are listed at
# the end, to keep the suite's time in view.
test: install lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=25

# The formatter and linter (ruff; settings in pyproject.toml). `make test` runs the check first.
lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Unit tests only, for the edit-test loop.
test-fast: install
	$(BIN)/python -m pytest -m "not slow" -q

bench: install
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev,dask,s3,bench]"
	$(BIN)/python bench/run.py
	$(BIN)/python bench/html_eval.py
	$(BIN)/python bench/credit_review.py

# Scale: generated corpora of SCALE_N articles (default 100k; SCALE_N=1000000 for the million), a +1%
# night on top, the bare floor beside it (bench/scale.py). Not part of `make test`.
SCALE_N ?= 100000
bench-scale: install
	$(BIN)/python bench/floor.py
	$(BIN)/python bench/scale.py --n $(SCALE_N)

# Dedup quality: akhbar against datatrove's MinHash dedup on the same documents. datatrove (and the
# spaCy tokenizer its default language needs) lives in its own venv, never in $(VENV): its
# dependencies are not held to akhbar's pins.
BENCH_VENV := .venv-bench

$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q "datatrove[processing]==0.10.1" "spacy>=3.7,<4"
	touch $@

bench-dedup: install $(BENCH_VENV)/.installed
	$(BIN)/python bench/dedup_eval.py --reference datatrove --sweep --per-kind --json bench/out/dedup_eval.json

# A local Prefect server (UI at http://127.0.0.1:4200) with prefect.yaml's deployments and a worker;
# state, logs and pids in data/serve/. `make stop` stops the worker, then the server.
serve: install
	$(BIN)/akhbar serve

stop:
	@if [ -x $(BIN)/akhbar ]; then $(BIN)/akhbar stop; else echo "akhbar is not installed: nothing to stop"; fi

clean-data:
	rm -rf $(DATA)

clean: clean-data
	rm -rf $(VENV) *.egg-info
