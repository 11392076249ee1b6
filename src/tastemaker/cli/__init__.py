"""The ``tastemaker`` command: thin click commands that call into the bounded contexts."""

from __future__ import annotations

import os

# One BLAS thread per process unless the user says otherwise: the server answers many small requests
# at once and the batch commands run process pools, so a BLAS pool per call only oversubscribes the
# cores (measured under 8 concurrent connections: seeded recommendations 113 -> 157 req/s, DJ 68 -> 90
# req/s, Discover Weekly p99 38 -> 27 ms). It must be set before NumPy/SciPy load OpenBLAS.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from tastemaker.cli import (  # noqa: E402, F401  (importing registers the commands)
    analyze,
    annotate,
    deadletter,
    demo,
    describe,
    imports,
    lyrics,
    migrate,
    playlists,
    playlists_io,
    scan,
    serve,
    simulate,
    train,
    users,
    users_privacy,
    wrapped,
)
from tastemaker.cli.base import cli  # noqa: E402

__all__ = ["cli", "main"]


def main() -> None:
    cli(obj={}, prog_name="tastemaker")
