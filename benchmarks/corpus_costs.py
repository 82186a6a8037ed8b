# SPDX-License-Identifier: MIT
"""What a stream costs and what a chunk adds, on the corpus: ``python -m benchmarks.corpus_costs``.

The corpus kind of ``benchmarks.run`` times all 79 recordings in one pass. This takes them one
at a time: for each recording, the floor (``run.floor_corpus``) and ``assemble()`` (lenient, as
there) are timed alternately, and the best of ``--repeat`` runs of each is kept. Then for each
of the two a least-squares line is fitted through the recordings, time = fixed + per_chunk *
chunks: what a stream costs whatever its length (for assemble(): setting up, the chunks that go
the full way, learning, close()) and what each further chunk adds. It prints both lines; the
fixed cost that assemble() would need, with its per-chunk cost as fitted, to cost no more than
the floor on the whole corpus; the ratio by length; and the recordings that cost most over the
floor.

Timed one recording at a time, a stream's code and data stay warm in the caches; the corpus
kind's pass over all of them does not, so its ratio is higher than the one printed here (see
benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

if __package__ in (None, ""):
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    __package__ = "benchmarks"

from .run import CORPUS, CORPUS_RUNS, corpus_chunks, corpus_recordings


def best_times(body: bytes, repeat: int) -> tuple[float, float]:
    """The best of ``repeat`` runs (seconds) of the floor and of assemble() on one body."""
    floor = CORPUS_RUNS["floor"][0]
    asm = CORPUS_RUNS["assemble"][0]
    one = [body]
    floor(one)  # warm-up, and the check that both run
    asm(one)
    best = [float("inf"), float("inf")]
    clock = time.perf_counter
    for i in range(repeat):
        for which in (0, 1) if i % 2 else (1, 0):
            run = floor if which == 0 else asm
            t = clock()
            run(one)
            best[which] = min(best[which], clock() - t)
    return best[0], best[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.corpus_costs",
        description="per-stream and per-chunk cost of assemble() and the floor on the corpus",
    )
    p.add_argument("--repeat", type=int, default=30, help="runs of each per recording")
    p.add_argument("--top", type=int, default=10, help="recordings to list (most over floor)")
    args = p.parse_args(argv)
    bodies = corpus_recordings()
    if not bodies:
        print(f"no recordings at {CORPUS} (set CHUNKSTREAM_CORPUS)")
        return 1
    rows = []
    for name, body in bodies:
        floor, asm = best_times(body, args.repeat)
        rows.append((name, corpus_chunks([body]), floor * 1e6, asm * 1e6, len(body)))
    chunks = [r[1] for r in rows]
    total_chunks = sum(chunks)
    total_floor = sum(r[2] for r in rows)
    total_asm = sum(r[3] for r in rows)
    print(
        f"{len(rows)} recordings, {total_chunks} chunks (median {statistics.median(chunks):g}); "
        f"best of {args.repeat} runs each, one recording at a time"
    )
    print(
        f"total: floor {total_floor / 1e3:.2f} ms, assemble() {total_asm / 1e3:.2f} ms "
        f"({total_asm / total_floor:.2f}x the floor)"
    )
    lines = {}
    for label, col in (("floor", 2), ("assemble()", 3)):
        per_chunk, fixed = statistics.linear_regression(chunks, [r[col] for r in rows])
        lines[label] = fixed, per_chunk
        print(f"{label:>11}: {fixed:6.1f} us per stream + {per_chunk:5.2f} us per chunk")
    fixed, per_chunk = lines["assemble()"]
    # The fixed cost at which the line's corpus total equals the floor's measured total.
    needed = (total_floor - per_chunk * total_chunks) / len(rows)
    print(
        f"(lines fitted through all recordings; chunks differ in size between recordings, so "
        f"read them as rough.) With its cost per chunk as fitted, assemble() would cost no "
        f"more than the floor on the whole corpus at {needed:.0f} us per stream instead of "
        f"{fixed:.0f} us."
    )
    print("\nby length (chunks): recordings, floor, assemble(), ratio, median excess a stream")
    for low, high in ((1, 9), (10, 19), (20, 49), (50, 99), (100, 10**9)):
        group = [r for r in rows if low <= r[1] <= high]
        if not group:
            continue
        floor_us = sum(r[2] for r in group)
        asm_us = sum(r[3] for r in group)
        excess = statistics.median(r[3] - r[2] for r in group)
        span = f"{low}+" if high == 10**9 else f"{low}-{high}"
        print(
            f"  {span:>7}: {len(group):3d}  {floor_us / 1e3:6.2f} ms  {asm_us / 1e3:6.2f} ms  "
            f"{asm_us / floor_us:4.2f}x  {excess:+7.1f} us"
        )
    print(f"\nthe {args.top} recordings that cost most over the floor (us):")
    rows.sort(key=lambda r: r[3] - r[2], reverse=True)
    for name, n, floor_us, asm_us, _ in rows[: args.top]:
        print(
            f"  {asm_us - floor_us:8.1f} over  {n:5d} chunks  floor {floor_us:8.1f}  "
            f"assemble() {asm_us:8.1f}  {name}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
