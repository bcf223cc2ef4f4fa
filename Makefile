# kefu — two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Development defaults for `make run`: debug on (a secret is generated into ./var).
export KEFU_DEBUG ?= true

.PHONY: run test install lint typecheck messages clean

# The compiled search kernels are built by the install: an edit of them reinstalls.
$(STAMP): pyproject.toml setup.py $(wildcard src/kefu/replies/search/*.pyx src/kefu/replies/search/*.pxd)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/kefu migrate
	$(BIN)/kefu demo --if-empty
	@echo "kefu: open http://127.0.0.1:8000/ and log in with a demo account above"
	$(BIN)/kefu serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench setup.py

typecheck: $(STAMP)
	$(BIN)/mypy src

# Developers: after changing user-facing strings (needs GNU gettext).
messages: $(STAMP)
	cd src/kefu && ../../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete \
	  --settings=kefu.settings_test && ../../$(BIN)/django-admin compilemessages \
	  --settings=kefu.settings_test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .test-services
