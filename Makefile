# safekd: two commands do everything, from a fresh clone.
#   make demo   set up, then run the main job on its embedded default
#   make test   set up, then run the whole test suite (notebook tests, slow ones included, and pytest)
# Set-up (idempotent): a virtual environment in .venv with the package and its dev and sweep (Ray) extras, the
# Jupyter kernel papermill uses ("safekd"), and what the OS packages provide: Debian's dataset-fashion-mnist (data)
# and texlive-latex-base, texlive-latex-recommended and latexmk (the paper).
SHELL   := /bin/bash
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.safekd-installed
FMNIST  := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
OS_PKGS := $(if $(wildcard $(FMNIST)),,dataset-fashion-mnist) $(if $(shell command -v latexmk && command -v pdflatex),,texlive-latex-base texlive-latex-recommended latexmk)
NBFLAGS ?= slow
export PYTHONUNBUFFERED := 1
# README.md from nbs/index.ipynb: its code cells executed, `#| hide` cells dropped, code fences marked python
# (nbdev-clean strips the notebook's language_info, which nbconvert reads the fence language from)
README  = $(BIN)/python -c "import nbformat, sys; nb = nbformat.read('nbs/index.ipynb', 4); \
	  nb.metadata['language_info'] = {'name': 'python'}; nbformat.write(nb, sys.stdout)" | \
	  $(BIN)/jupyter nbconvert --log-level WARN --stdin --to markdown --RegexRemovePreprocessor.patterns="['^\#\| hide']" \
	  --output-dir . --output README

.PHONY: setup os-packages demo reproduce bench-reproduce test test-fast check lint sync docs-proc bench bench-calibrated bench-demo clean
setup: $(STAMP) os-packages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,sweep]"
	$(BIN)/python -m ipykernel install --sys-prefix --name safekd --display-name "Python (safekd)"
	touch $@

# Debian packages: installed when run as root, else a clear error naming them
os-packages:
	@if [ -n "$(strip $(OS_PKGS))" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OS_PKGS) >/dev/null; \
	  else \
	    echo "missing Debian packages: $(strip $(OS_PKGS)) (sudo apt-get install $(strip $(OS_PKGS)))"; \
	    echo "Fashion-MNIST can instead go under data/fashion-mnist/ (see data/README.md)."; exit 1; \
	  fi; \
	fi

# The main job: configs/demo.yaml (the whole Fashion-MNIST, a CIFAR-family teacher distilled into a 3-exit student,
# certified exits, measured savings); `make bench-demo` runs the same command into a fresh folder and records it.
demo: setup
	$(BIN)/python -m scripts.run --config configs/demo.yaml

# One-command reproduction (SAFE-KD's key subset with safekd's CPU preset --quick, 2 epochs, on Ray) and the CPU-sized one, recorded as evidence
reproduce: setup
	$(BIN)/python -m scripts.reproduce --quick

bench-reproduce: setup
	$(BIN)/python bench/reproduce_cpu.py

test: setup
	OMP_NUM_THREADS=1 $(BIN)/nbdev-test --flags "$(NBFLAGS)" --n-workers 2
	$(BIN)/python -m pytest -q --durations=12 tests

test-fast: NBFLAGS :=
test-fast: test

# What CI adds before the tests: notebooks clean, library in sync, README in sync, lint clean, docs processing works.
check: setup
	$(BIN)/nbdev-clean
	$(BIN)/nbdev-export
	$(README)
	@if [ -n "$$(git status --porcelain -- nbs safekd README.md)" ]; then \
	  git status --porcelain -- nbs safekd README.md; \
	  echo "notebooks are unclean or out of sync with safekd/ or README.md: run 'make sync' and commit"; exit 1; fi
	$(MAKE) lint
	$(MAKE) docs-proc

# Undefined names and unused imports in the exported library and the scripts (ruff's pyflakes rules)
lint: setup
	$(BIN)/ruff check --output-format concise safekd scripts bench tests

sync: setup
	$(BIN)/nbdev-clean && $(BIN)/nbdev-export
	$(README)

# nbdev's notebook processing for the Quarto site (Quarto itself renders it: `nbdev-docs` where Quarto is installed)
docs-proc: setup
	$(BIN)/python -c "from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar; from nbdev.serve import proc_nbs; \
	  refresh_quarto_yml(); nbdev_sidebar.__wrapped__(); c = proc_nbs(n_workers=1); \
	  n = len(list(c.rglob('*.ipynb'))); assert n, 'no notebooks processed'; print(f'docs processing: {n} notebooks in {c}')"

bench: setup
	$(BIN)/python bench/early_exit_speed.py --input 1 28 28 --reps 15
	$(BIN)/python bench/train_throughput.py --out bench/results/train_throughput_cifar_cpu.json

bench-demo: setup
	$(BIN)/python bench/demo.py

# The calibrated thresholds of a finished run (default: the one `make demo` writes), timed on its test images
RUN ?= results/fashion_mnist/resnet8/safe_kd/seed_0
bench-calibrated: setup
	$(BIN)/python bench/early_exit_speed.py --run $(RUN) --batches 1 256 --samples 512 --reps 7

clean:
	rm -rf _proc _docs .pytest_cache
