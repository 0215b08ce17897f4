# The two commands of the README:
#   make book   build the website into _build/html, executing every page in fast mode
#   make test   run the whole test suite (what .ci/run runs)
# Both create .venv on first use and install requirements.txt and the library into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Notebooks may run side by side on one GPU: never let JAX grab most of its memory.
export XLA_PYTHON_CLIENT_PREALLOCATE := false
# Progress bars are for readers running notebooks, not for build logs.
export DLTHEORY_PROGRESS ?= 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: all venv book book-fresh pdf test test-fast sync seeds check-saved bench bench-deps bench-book clean help course site-deps linkcheck browser mathjax tex full-gpu budget

# Base seeds for `make seeds`: every claim must keep its registered outcome under each of them. The default is the ten
# of the seed record in results/seeds/ (every page under each: hours on two cores; PAGES= for fewer pages).
SEEDS ?= 0 100 200 300 400 500 600 700 800 900
# Pages for `make seeds` (default: every notebook page), e.g. PAGES=chapters/05-information-theory/05-pac-bayes.md
PAGES ?=

all: book

help:
	@echo "make book        build the book into _build/html (fast mode; DLTHEORY_MODE=full for paper scale)"
	@echo "make pdf         build the PDF of the book into _build/latex/book.pdf (installs TeX from Debian when missing)"
	@echo "make test        run the whole test suite (library, notebooks, book build)"
	@echo "make test-fast   run only the quick tests (library and consistency; no notebook execution)"
	@echo "make sync        pair every notebook page with its .ipynb (jupytext) and strip outputs"
	@echo "make seeds       run every page (or PAGES) under each of SEEDS (default: the record's 0 100 ... 900, hours);"
	@echo "                 print a claim x seed table, run the pages that need it again with other roundings"
	@echo "                 (dltheory.book.arithmetic) and print the claims a fresh base seed would turn more than"
	@echo "                 1% of the time (dltheory.book.robustness)"
	@echo "make check-saved run live every page that reads a saved run and compare each with what today's code computes"
	@echo "make course CHAPTERS=03,05   write and build a course pack into course/ (student + instructor notebooks, LMS zip)"
	@echo "make site-deps   install what the browser test needs: Chromium (apt) and MathJax 3 (npm, into _build/mathjax)"
	@echo "make tex         install what make pdf needs: xelatex, latexmk and fonts (Debian packages, as root)"
	@echo "make linkcheck   check the external links of the book (optional; needs internet)"
	@echo "make bench       run the benchmarks; writes benchmarks/results.md and results.json"
	@echo "make full-gpu    on a GPU machine: every page in full mode, results bundle into results/full-gpu/ (no venv needed)"
	@echo "make budget      estimate every page's full-mode time on one H200 against the budget (10 min a chapter, 30 the book)"
	@echo "make bench-book  time a cold build of the whole book and a cached rebuild; adds them to the same report (long)"
	@echo "make clean       remove _build (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

# The website. Widgets draw their static figures (DLTHEORY_STATIC=1); warnings are errors.
# The pages load MathJax 3 from the site itself (_static/mathjax), a copy from npm in _build/mathjax.
book: $(STAMP) mathjax
	DLTHEORY_STATIC=1 $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going

# MathJax 3 from the npm registry into _build/mathjax, where the build (dltheory.book.publish) and the
# browser test find it; npm itself from apt when missing and possible (root, as on CI). Without it the
# build installs MathJax itself, or warns that the pages fall back to the CDN.
MATHJAX := _build/mathjax/node_modules/mathjax/es5/tex-mml-chtml.js
mathjax:
	@test -f $(MATHJAX) || { \
	  command -v npm >/dev/null 2>&1 || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null) \
	        || echo "could not install npm: the pages will load MathJax from the CDN" >&2; \
	    else echo "npm is missing (apt-get install npm): the pages will load MathJax from the CDN" >&2; fi; }; \
	  command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --prefix _build/mathjax mathjax@3 || true; }

# The PDF of the whole book: Jupyter Book's LaTeX builder with xelatex, from the same executed pages as
# the website (the execution cache in _build), exercises without their solutions. TeX from Debian.
TEX_PACKAGES := texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                latexmk fonts-freefont-otf poppler-utils
tex:
	@if command -v dpkg >/dev/null 2>&1 && dpkg -s $(TEX_PACKAGES) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing TeX for the PDF (Debian packages, about 3 minutes): $(TEX_PACKAGES)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES) >/dev/null) \
	    || { echo "could not install TeX: make pdf and tests/test_pdf.py will fail" >&2; exit 1; }; \
	elif command -v xelatex >/dev/null 2>&1 && command -v latexmk >/dev/null 2>&1; then :; \
	else echo "TeX is missing: as root, apt-get install --no-install-recommends $(TEX_PACKAGES)" >&2; exit 1; fi

pdf: $(STAMP) tex
	rm -rf _build/latex
	DLTHEORY_STATIC=1 LATEXOPTS="-interaction=nonstopmode -halt-on-error" \
	  $(BIN)/jupyter-book build . --builder pdflatex --warningiserror --nitpick --keep-going < /dev/null
	@echo "The PDF: _build/latex/book.pdf"

# Same, ignoring the execution cache.
book-fresh: $(STAMP)
	rm -rf _build
	$(MAKE) book

# The browser test (tests/test_site.py) drives Debian's Chromium: install it when missing and possible
# (root with apt-get, as on CI); otherwise say how, and that test will say it too.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: tests/test_site.py will fail" >&2; \
	  else echo "Chromium is missing (apt-get install chromium): tests/test_site.py will fail" >&2; fi; }

# TeX is installed for tests/test_pdf.py; without it (not root, no apt) that test fails and says why.
test: $(STAMP) browser mathjax
	-@$(MAKE) --no-print-directory tex
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not book and not notebooks"

sync: $(STAMP)
	$(BIN)/python -m dltheory.book.notebooks sync

# The benchmarks' own dependencies (PyTorch, CPU build) go into the venv only here.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) benchmarks/requirements.txt
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	touch $(BENCH_STAMP)

bench-deps: $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks

bench-book: $(STAMP)
	$(BIN)/python -m benchmarks --book

seeds: $(STAMP)
	$(BIN)/python -m dltheory.book.seeds run $(PAGES) --seeds $(SEEDS) --keep-going
	$(BIN)/python -m dltheory.book.arithmetic run
	$(BIN)/python -m dltheory.book.robustness

# Every page that reads a saved run (dltheory.saved), run live under base seed 0: each saved run is compared, array
# by array, with what today's code computes (about 10 minutes on 2 cores). Fails when one differs.
SAVED_PAGES = $(shell grep -l 'saved[.]call' chapters/*/[0-9]*.md)
check-saved: $(STAMP)
	@for page in $(SAVED_PAGES); do \
	  env -u DLTHEORY_SEED -u DLTHEORY_MODE DLTHEORY_CHECK_SAVED=1 $(BIN)/python -m dltheory.book.notebooks run $$page \
	    || exit 1; done

# Full mode on a GPU machine (issue 22): every page in full mode, FULLRUN_ARGS passed on (e.g. --parallel 4, or pages),
# the results bundle into results/full-gpu/<date>-<commit>/. It creates no venv and needs no package registry: the
# machine's Python with JAX (CUDA), or .venv if there is one. scripts/gpu-run.sh is the whole GPU session.
FULL_PYTHON := $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
full-gpu:
	PYTHONPATH=$(CURDIR)/lib$${PYTHONPATH:+:$$PYTHONPATH} $(FULL_PYTHON) -m dltheory.book.fullrun $(FULLRUN_ARGS)

budget: $(STAMP)
	$(BIN)/python -m dltheory.book.budget

# A course pack of some chapters (see book/instructors.md): python -m dltheory.book.course.
CHAPTERS ?= 00
course: $(STAMP)
	DLTHEORY_STATIC=1 $(BIN)/python -m dltheory.book.course --chapters $(CHAPTERS) --out course --build

# What tests/test_site.py needs besides the Python packages: Chromium from the OS, MathJax 3 from npm
# (the copy the site serves; the build installs it itself if missing).
site-deps: browser mathjax

# External links (optional: needs internet, and the sites linked to must be up).
linkcheck: $(STAMP)
	$(BIN)/jupyter-book build . --builder linkcheck

clean:
	rm -rf _build
