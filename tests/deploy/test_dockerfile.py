"""The Dockerfile: multi-stage, non-root, a health check on /healthz, and a CMD the CLI accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.deploy.test_manifests import parse

ROOT = Path(__file__).resolve().parents[2]
LINES = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text()).splitlines()
INSTRUCTIONS = [line.strip() for line in LINES if line.strip() and not line.lstrip().startswith("#")]


def instructions(keyword: str) -> list[str]:
    return [line[len(keyword) :].strip() for line in INSTRUCTIONS if line.split()[0].upper() == keyword]


def runtime_stage() -> list[str]:
    last_from = max(i for i, line in enumerate(INSTRUCTIONS) if line.upper().startswith("FROM "))
    return INSTRUCTIONS[last_from:]


def test_multi_stage_with_a_slim_python_311_runtime() -> None:
    stages = instructions("FROM")
    assert len(stages) >= 2
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in INSTRUCTIONS
    assert stages[-1].startswith("${PYTHON_IMAGE} AS runtime")
    assert any("from=builder" in line for line in runtime_stage()), (
        "the runtime installs the builder's wheels"
    )


def test_runtime_runs_as_a_non_root_user() -> None:
    users = [line.split()[1] for line in runtime_stage() if line.startswith("USER ")]
    assert users, "no USER in the runtime stage: the container would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_healthcheck_entrypoint_and_cmd() -> None:
    [healthcheck] = instructions("HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert json.loads(instructions("ENTRYPOINT")[-1]) == ["tastemaker"]
    command, params = parse(json.loads(instructions("CMD")[-1]))
    assert (command, params["host"]) == ("serve", "0.0.0.0")


def test_dockerignore_lets_in_exactly_what_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip()[:1] not in "#"
    ]
    assert patterns[0] == "*", "an allow-list: data folders, the venv and caches stay out of the context"
    allowed = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    copied = {
        src.rstrip("/") for line in instructions("COPY") if "--from" not in line for src in line.split()[:-1]
    }
    assert copied == allowed
