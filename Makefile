# weft: `make run` runs the pipeline on the bundled WARCs, `make test` runs the tests.
# Both create .venv and install weft on first use (Python 3.11 and Java 17 required).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
INPUT  ?= ../shared/data/warc
OUTPUT ?= out/run-$(shell date +%F)
ARGS   ?= --set clip.required=false  # the demo run goes on without CLIP weights (no torch, no network)
PYTEST_ARGS ?=
# weft extras in the packed virtualenv of `make bundle`: clip for the CLIP stages, gcs for gs:// (Dataproc)
EXTRAS ?= clip,nlp

export PYSPARK_PYTHON := $(abspath $(PY))
export PYSPARK_DRIVER_PYTHON := $(abspath $(PY))

.PHONY: run test bench bundle bundle-zip java clean

$(VENV)/.base: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[nlp]"
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PY) -m pip install --quiet -e ".[dev,clip,nlp]"
	touch $@

java:
	@java -version >/dev/null 2>&1 || { echo "weft: Java 17 is required by Spark (java not found on PATH)"; exit 1; }

run: $(VENV)/.base java
	$(PY) -m jobs.pipeline --input "$(INPUT)" --output "$(OUTPUT)" $(ARGS)

test: $(VENV)/.dev java
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev java
	$(PY) bench/ingest.py

bundle: $(VENV)/.base   # dist/weft-<version>.zip + weft_main.py (--py-files), dist/weft-venv-<version>.tar.gz (--archives)
	$(PY) infra/build_bundle.py --venv --extras "$(EXTRAS)"

bundle-zip: $(VENV)/.base   # only the zip and weft_main.py (seconds; nodes that install weft themselves)
	$(PY) infra/build_bundle.py

clean:
	rm -rf $(VENV) out dist build *.egg-info .pytest_cache
