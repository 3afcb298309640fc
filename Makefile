# audiotut: two commands set everything up on a fresh machine with Python 3.11+.
#   make book   create .venv, install (no TensorFlow/Playwright), build _build/html
#               (English) and _build/html/ko (the Korean edition, 한국어판)
#   make test   the same set-up, then unit tests, doctests, nbval on every notebook,
#               the book build with warnings as errors and the browser check
#   make po     after changing a page's text: update the Korean catalogs
#               (locales/ko/LC_MESSAGES/book/*.po), then translate what is new
#   make lab        JupyterLab on book/, its notebooks on this venv's Python
#   make notebooks  re-execute every chapter in place, top to bottom
#                   (one chapter: make notebooks NOTEBOOKS=02_playback_recording.ipynb)
#   make check-numerics  re-run the chapters under perturbed numeric environments
#                   (threads, SIMD paths) and report every output that differs

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BOOK_STAMP := $(VENV)/.installed-book
# torch pinned to the CPU build the book is tested with (audiotut itself asks for a range);
# --no-compile: Python compiles each module when it is first imported, not all of
# TensorFlow's and torch's at install time (measured: the install 58 s instead of 87 s)
PIP_INSTALL := $(PY) -m pip install --quiet --no-compile -c constraints.txt
PYTEST_ARGS ?=
# test workers (pytest-xdist): the CI machine has 2 cores; 0 runs the tests in one process
PYTEST_JOBS ?= 2

.PHONY: all book po test lab notebooks check-numerics clean help
all: book

help:
	@sed -n '2,12p' Makefile

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "audiotut needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

# make book: audiotut with torch and the libraries the chapters call; building the book
# executes nothing, so no TensorFlow, kapre or Playwright.
$(BOOK_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PIP_INSTALL) -e ".[book]"
	@touch $(BOOK_STAMP)

# make test, lab and notebooks: everything. tf: chapter 8's Rosetta cells (TensorFlow,
# Keras 3, kapre) run under nbval too; test: pytest, nbval, Playwright; lab: JupyterLab,
# which tests/test_lab.py starts as `make lab` does.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PIP_INSTALL) -e ".[book,test,tf,lab]"
	@touch $(STAMP) $(BOOK_STAMP)

book: $(BOOK_STAMP)
	$(VENV)/bin/jupyter-book build .
	$(PY) tools/i18n.py build
	@echo "The book is at $(CURDIR)/_build/html/index.html (한국어: _build/html/ko/index.html)"

# The Korean edition's catalogs, one per page, in step with the pages: new and changed
# messages appear untranslated or fuzzy (the old translation as a hint); translate them
# (any PO editor, e.g. Poedit, or a text editor), remove the fuzzy flags, then
# `make book`. `$(PY) tools/i18n.py check` says what is left (tests/test_i18n.py runs it).
po: $(BOOK_STAMP)
	$(PY) tools/i18n.py po

# One pytest run: unit tests and doctests (audiotut/), nbval in strict mode on every
# chapter (book/), tests/test_book.py, which builds the book with warnings as errors
# and opens every page in headless Chromium, and tests/test_lab.py, which runs
# chapter 1's first cells in JupyterLab through the browser. In PYTEST_JOBS processes
# (pytest-xdist), each taking whole files: one chapter runs in one kernel.
test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_JOBS) --doctest-modules --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg audiotut tests book $(PYTEST_ARGS)

# JupyterLab from the venv on book/ (with jupyterlab-myst, so the chapters' MyST roles
# and boxes render). Once the venv is current ($(STAMP) newer than pyproject.toml) it
# installs nothing and registers nothing. The chapters ask for the kernel "python3": the
# venv holds ipykernel's own python3 kernelspec, whose command is "python", which
# Jupyter replaces by the Python that runs the server, so the kernel is always this
# venv's Python, wherever the clone lives; JUPYTER_PREFER_ENV_PATH=1 puts it before a
# python3 kernelspec of another Python in ~/.local/share/jupyter. (An "audiotut" kernel
# that an older `make lab` registered for the whole user is no longer used:
# `jupyter kernelspec remove audiotut`.) tests/test_lab.py starts Lab the same way.
# As root (a container, a cloud notebook) JupyterLab refuses to start without
# --allow-root; LAB_ARGS passes anything else (e.g. LAB_ARGS="--no-browser --port 8899").
LAB_ARGS ?=
lab: $(STAMP)
	JUPYTER_PREFER_ENV_PATH=1 $(PY) -m jupyterlab --notebook-dir=book \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

# Under the virtual sound card of tests/virtual_audio.py (a JACK loopback), as in the
# tests, so chapter 2's play and record cells run the same way nbval re-runs them.
NOTEBOOKS ?= [0-9][0-9]_*.ipynb
notebooks: $(STAMP)
	cd book && for notebook in $(NOTEBOOKS); do \
		../$(PY) ../tests/virtual_audio.py ../$(VENV)/bin/jupyter-execute --inplace \
			--timeout=900 --NotebookClient.record_timing=False "$$notebook" || exit 1; \
	done

# Outputs must hold on any CPU: nbval on every chapter (or NOTEBOOKS=...) under two
# environments that change threads and SIMD paths of numpy, OpenBLAS and torch
# (tools/check_numerics.py says which). Not part of `make test`: it runs every chapter twice.
check-numerics: $(STAMP)
	$(PY) tools/check_numerics.py $(addprefix book/,$(NOTEBOOKS))

clean:
	rm -rf _build test-artifacts .pytest_cache
