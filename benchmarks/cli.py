# SPDX-License-Identifier: MIT
"""The command line's throughput, serial and with ``-j``: ``python -m benchmarks.cli``.

Generates a batch of captures in a temporary directory (renamed copies of fixtures/*.sse and,
when it is there, of the shared corpus's *.sse; plus a few failures: an HTML page, a cut
stream, a file that is no event stream), then runs ``python -m chunkstream --stats --json
DIR`` as a subprocess with ``-j 1``, ``-j 2`` and ``-j 0``, the best of N runs each, stdout
into a file. Each run's stdout and --stats line must equal the serial run's (a run that
differs is reported, not timed). Reports streams/s, MB/s (the batch's bytes on disk / the
wall time), the peak RSS of the largest process of a run (``resource.getrusage`` of the
children, taken in a fresh wrapper process per run, so that one run's peak is not another's)
and the ratio to the serial run.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")

# Runs one command; prints the peak RSS (KiB on Linux) of its largest process and the CPU
# seconds (user + system) of all its processes.
_WRAPPER = """\
import resource, subprocess, sys
rc = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "wb"), stderr=subprocess.PIPE)
sys.stderr.buffer.write(rc.stderr)
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(use.ru_maxrss, use.ru_utime + use.ru_stime, rc.returncode)
"""


def sources() -> list[Path]:
    found = sorted((ROOT / "fixtures").glob("*.sse"))
    if CORPUS.is_dir():
        found += sorted(CORPUS.rglob("*.sse"))
    return found


def make_batch(top: Path, count: int) -> int:
    """``count`` captures in ``top`` (100 per folder), cycling over the sources; returns the
    bytes written."""
    bodies = [p.read_bytes() for p in sources()]
    failures = [
        b"<html><body>502 Bad Gateway</body></html>\n",
        bodies[0][: len(bodies[0]) // 2],  # a cut capture
        b'{"error": {"message": "rate limited"}}\n',
    ]
    total = 0
    for i in range(count):
        folder = top / f"{i // 100:04d}"
        folder.mkdir(exist_ok=True)
        body = failures[i // 997 % 3] if i % 997 == 996 else bodies[i % len(bodies)]
        (folder / f"capture-{i:06d}.sse").write_bytes(body)
        total += len(body)
    return total


def run_once(batch: Path, jobs: int, out: Path) -> tuple[float, int, float, str, str]:
    """One run: wall seconds, peak RSS (KiB), CPU seconds, the stdout's digest, the --stats
    line."""
    command = [
        sys.executable,
        "-m",
        "chunkstream",
        "--stats",
        "--json",
        "-j",
        str(jobs),
        str(batch),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(out), *command],
        capture_output=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - start
    rss, cpu = int(proc.stdout.split()[0]), float(proc.stdout.split()[1])
    stats = [ln for ln in proc.stderr.decode().splitlines() if ln.startswith("chunkstream: stats:")]
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return seconds, rss, cpu, digest, stats[-1] if stats else ""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=6000, help="captures in the batch (default 6000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per setting; the best is kept")
    p.add_argument("--jobs", default="1,2,0", help="the -j values (default 1,2,0; 1 first)")
    args = p.parse_args()
    jobs = [int(j) for j in args.jobs.split(",")]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    print(
        f"# chunkstream CLI, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"CPython {platform.python_version()}, {cores} usable cores, load average "
        + " ".join(f"{x:.2f}" for x in load)
    )
    work = Path(tempfile.mkdtemp(prefix="chunkstream-bench-cli-"))
    try:
        batch = work / "batch"
        batch.mkdir()
        size = make_batch(batch, args.files)
        print(f"batch: {args.files} captures, {size / 1e6:.1f} MB ({len(sources())} sources)")
        print()
        print("| -j | best of | seconds | CPU s | streams/s | MB/s | peak RSS MiB | x serial |")
        print("|---|---|---|---|---|---|---|---|")
        serial: tuple[str, str, float] | None = None
        for j in jobs:
            best: tuple[float, int, float] | None = None
            wrong = ""
            for _ in range(args.repeat):
                seconds, rss, cpu, digest, stats = run_once(batch, j, work / "out.jsonl")
                if serial is None:
                    serial = (digest, stats, 0.0)
                elif (digest, stats) != serial[:2]:
                    wrong = "output differs from -j 1"
                best = (seconds, rss, cpu) if best is None or seconds < best[0] else best
            assert best is not None and serial is not None
            if j == jobs[0]:
                serial = (serial[0], serial[1], best[0])
            ratio = serial[2] / best[0] if serial[2] else 0.0
            print(
                f"| {j} | {args.repeat} | {best[0]:.2f} | {best[2]:.2f} "
                f"| {args.files / best[0]:,.0f} "
                f"| {size / 1e6 / best[0]:.1f} | {best[1] / 1024:.0f} | {ratio:.2f} |"
                + (f" **{wrong}**" if wrong else "")
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
