"""``python -m benchmarks [--quick] [NAME [ARGS ...]]``: one benchmark in this process, or all in turn.

Run alone, a benchmark gets the remaining arguments (``python -m benchmarks ingest_http --sync NORMAL``).
Run all together, each one gets a fresh interpreter, so that none inherits another's threads or heap.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks import BENCHMARKS

PER_BENCHMARK_TIMEOUT_S = 45 * 60


def run_one(name: str, argv: Sequence[str]) -> int:
    module = importlib.import_module(f"benchmarks.{name}")
    code: int = module.main(list(argv))
    return code


def main(argv: Sequence[str]) -> int:
    named = [arg for arg in argv if arg in BENCHMARKS]
    if named:  # the benchmark parses everything else itself, --quick and --help included
        rest = list(argv)
        rest.remove(named[0])
        return run_one(named[0], rest)
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0],
                                     epilog=f"benchmarks: {', '.join(BENCHMARKS)}; "
                                            "python -m benchmarks NAME --help for one's options")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="short smoke versions")
    args = parser.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    failed = []
    for name in BENCHMARKS:
        print(f"\n## {name}\n", flush=True)
        started = time.monotonic()
        command = [sys.executable, "-m", "benchmarks", name, *quick]
        try:
            code = subprocess.run(command, check=False, timeout=PER_BENCHMARK_TIMEOUT_S).returncode
        except subprocess.TimeoutExpired:
            code = -1
        print(f"({name}: exit {code}, {time.monotonic() - started:.0f} s)", flush=True)
        if code != 0:
            failed.append(name)
    print(f"\nbenchmarks done; {'failed: ' + ', '.join(failed) if failed else 'all exited 0'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
