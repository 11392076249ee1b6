"""Every seed of tests/fuzz/corpus/ and every crash the fuzzers found (tests/fuzz/crashes/<target>/)
through its harness, without atheris: each must be handled (an expected error at most), never crash.

The fuzzing itself is a benchmark (``python -m benchmarks fuzz``); this file is what keeps a found crash
fixed, and checks that the harnesses still accept their seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fuzz import fuzz_audio_decoder, fuzz_event_decoder, fuzz_importers

HERE = Path(__file__).parent
TARGETS: dict[str, Callable[[], Callable[[bytes], None]]] = {
    "event_decoder": fuzz_event_decoder.load,
    "importers": fuzz_importers.load,
    "audio_decoder": fuzz_audio_decoder.load,
}
INPUTS = sorted(
    (target, path)
    for target in TARGETS
    for folder in (HERE / "corpus" / target, HERE / "crashes" / target)
    if folder.is_dir()
    for path in folder.iterdir()
)


@pytest.mark.parametrize(("target", "path"), INPUTS, ids=[f"{t}/{p.parent.name}/{p.name}" for t, p in INPUTS])
def test_input_is_handled(target: str, path: Path) -> None:
    TARGETS[target]()(path.read_bytes())


def test_every_target_has_seeds() -> None:
    assert {target for target, path in INPUTS if path.parent.name == target} == set(TARGETS)
