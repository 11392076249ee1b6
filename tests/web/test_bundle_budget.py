"""The built web app stays within its budget: at most 400 kB of JavaScript, gzip-compressed."""

from __future__ import annotations

import gzip

import pytest

from tests.web.conftest import STATIC

BUDGET_BYTES = 400 * 1000


def test_built_javascript_fits_the_budget() -> None:
    if not (STATIC / "index.html").exists():
        pytest.skip("the web app is not built: make test builds it (cd web && npm ci && npm run build)")
    scripts = sorted((STATIC / "assets").glob("*.js"))
    assert scripts, "no JavaScript in the build"
    total = sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in scripts)
    assert total <= BUDGET_BYTES, (
        f"{total / 1000:.0f} kB of gzipped JS, over the {BUDGET_BYTES / 1000:.0f} kB budget"
    )


def test_index_references_only_built_assets() -> None:
    """Every script and stylesheet index.html loads is in the build (a stale index would 404)."""
    if not (STATIC / "index.html").exists():
        pytest.skip("the web app is not built: make test builds it (cd web && npm ci && npm run build)")
    import re

    html = (STATIC / "index.html").read_text()
    referenced = re.findall(r'(?:src|href)="/(assets/[^"]+)"', html)
    assert referenced, "index.html loads no built assets"
    assert [path for path in referenced if not (STATIC / path).is_file()] == []
