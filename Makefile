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

.PHONY: run lint test compat airflow-test bench bench-venv bench-pipeline scale-input scale bundle bundle-zip java clean

$(VENV)/.base: setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[nlp]"
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,clip,nlp]"
	touch $@

java:
	@java -version >/dev/null 2>&1 || { echo "weft: Java 17 is required by Spark (java not found on PATH)"; exit 1; }

run: $(VENV)/.base java
	$(PY) -m jobs.pipeline --input "$(INPUT)" --output "$(OUTPUT)" $(ARGS)

test: $(VENV)/.dev java
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff (pinned in constraints.txt) with the rule set of pyproject.toml
lint: $(VENV)/.dev
	$(PY) -m ruff check .

bench: $(VENV)/.dev java
	$(PY) bench/ingest.py

# The Sparks clusters ship (EMR 7.x, Dataproc 2.2/2.3: 3.5; emr-spark-8, Dataproc 3.0: 4.0): the Spark
# job tests and one whole pipeline run in a venv per version (.ci/compat.sh), same pins but pyspark
COMPAT_SPARK ?= 3.5.4 4.0.2
compat: java
	@for v in $(COMPAT_SPARK); do .ci/compat.sh $$v || exit 1; done

# The nightly Airflow DAG run by Airflow against moto's EMR, in its own venv (.venv-airflow)
airflow-test:
	.ci/airflow.sh

# CommonCrawl-sized runs (not in CI): bench/out/scale holds a generated 40,000-page WARC file
# (>= 1 GB gzipped) and its first half and quarter; `make scale` runs the whole pipeline on each
# with default settings and prints memory per task and the accounting (bench/RESULTS.md).
SCALE_ARGS ?=
scale-input: $(VENV)/.base
	$(PY) bench/scale_input.py $(SCALE_ARGS)

scale: $(VENV)/.dev java
	@ls bench/out/scale/*-full.warc.gz >/dev/null 2>&1 || $(MAKE) scale-input
	$(PY) bench/scale.py

# weft against datatrove on the same WARC files (datatrove lives in its own venv: bench only)
BENCH_VENV  := .venv-bench
BENCH_INPUT ?= bench/out/scale/CC-MAIN-2026-49-weft-scale-full.warc.gz
$(BENCH_VENV)/.done: bench/requirements-datatrove.txt   # datatrove 0.10.1 (needs Debian's libmagic1)
	rm -rf $(BENCH_VENV)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet -r bench/requirements-datatrove.txt
	touch $@

bench-venv: $(BENCH_VENV)/.done

bench-pipeline: $(VENV)/.base $(BENCH_VENV)/.done java
	mkdir -p bench/out
	$(PY) bench/pipeline.py --input "$(BENCH_INPUT)" --cores 2 --json bench/out/pipeline.json

bundle: $(VENV)/.base   # dist/weft-<version>.zip + weft_main.py (--py-files), dist/weft-venv-<version>.tar.gz (--archives)
	$(PY) infra/build_bundle.py --venv --extras "$(EXTRAS)"

bundle-zip: $(VENV)/.base   # only the zip and weft_main.py (seconds; nodes that install weft themselves)
	$(PY) infra/build_bundle.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .venv-airflow .venv-spark* out dist build *.egg-info .pytest_cache
