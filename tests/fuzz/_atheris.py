"""Run one harness under atheris (libFuzzer): ``python tests/fuzz/fuzz_X.py [libFuzzer flags] [CORPUS]``.

Only Tastemaker's own modules are instrumented for coverage (NumPy, PyAV and the rest are not: they are
what the harness drives, and instrumenting them would slow every run for no guidance we can act on).
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def fuzz(load: Callable[[], Callable[[bytes], None]]) -> None:
    """``load`` imports the code under test (inside the instrumentation) and returns the target."""
    import atheris  # type: ignore[import-untyped]  # the dev extra; only the benchmark runs this

    with atheris.instrument_imports(include=["tastemaker"]):
        target = load()
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
