# audiotut: two commands set everything up on a fresh machine with Python 3.11+.
#   make book   create .venv, install, build the HTML book into _build/html
#   make test   the same set-up, then unit tests, doctests, nbval on every notebook,
#               the book build with warnings as errors and the browser check
#   make lab        JupyterLab on book/ with the project's kernel registered
#   make notebooks  re-execute every chapter in place, top to bottom

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: all book test lab notebooks clean help
all: book

help:
	@sed -n '2,7p' Makefile

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "audiotut needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[book,test]"
	@touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build .
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# One pytest run: unit tests and doctests (audiotut/), nbval in strict mode on every
# chapter (book/), and tests/test_book.py, which builds the book with warnings as
# errors and opens every page in headless Chromium.
test: $(STAMP)
	$(PY) -m pytest --doctest-modules --nbval --nbval-current-env \
		--sanitize-with tests/nbval_sanitize.cfg audiotut tests book $(PYTEST_ARGS)

lab: $(STAMP)
	$(PY) -m pip install --quiet -e ".[lab]"
	$(PY) -m ipykernel install --user --name audiotut --display-name "Python (audiotut)"
	$(VENV)/bin/jupyter lab --notebook-dir=book

notebooks: $(STAMP)
	cd book && for notebook in [0-9][0-9]_*.ipynb; do \
		../$(VENV)/bin/jupyter-execute --inplace --timeout=900 \
			--NotebookClient.record_timing=False "$$notebook" || exit 1; \
	done

clean:
	rm -rf _build test-artifacts .pytest_cache
