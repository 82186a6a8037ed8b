# SPDX-License-Identifier: MIT
"""Where the time goes: ``python -m benchmarks.profile``.

Runs cProfile on ``assemble(reads)`` and on ``iter_chunks(reads)`` (consumed as in run.py) for
the 100k-chunk text and tool-call streams, and prints the top functions by own time
(``tottime``). cProfile's per-call overhead inflates functions that are called very often;
read the ranking, not the absolute seconds.
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    # Run as a script: this folder must not be on sys.path, or this file would shadow the
    # standard library's `profile` module, which cProfile imports.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    __package__ = "benchmarks"

import argparse
import cProfile
import gc
import pstats

from .run import cs_assemble, cs_iter_chunks, label, parse_size
from .streams import KINDS, make_reads, make_stream

TARGETS = {"assemble": cs_assemble, "iter_chunks": cs_iter_chunks}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.profile", description="cProfile of assemble and iter_chunks"
    )
    p.add_argument("--kinds", default="text,tools", help="stream kinds (default text,tools)")
    p.add_argument("--size", default="100k", help="chunks per stream (default 100k)")
    p.add_argument("--top", type=int, default=25, help="functions to show (default 25)")
    p.add_argument("--impls", default="assemble,iter_chunks", help="what to profile (default both)")
    args = p.parse_args(argv)
    n = parse_size(args.size)
    for kind in args.kinds.split(","):
        if kind not in KINDS:
            p.error(f"unknown kind {kind!r}; expected some of {', '.join(KINDS)}")
        body = make_stream(kind, n)
        reads = make_reads(body)
        small = make_reads(make_stream(kind, 100))
        for name in args.impls.split(","):
            if name not in TARGETS:
                p.error(f"unknown impl {name!r}; expected some of {', '.join(TARGETS)}")
            fn = TARGETS[name]
            fn(kind, small)  # warm up imports and caches outside the profile
            gc.collect()
            prof = cProfile.Profile()
            prof.enable()
            fn(kind, reads)
            prof.disable()
            print(f"=== {name}({kind} stream, {label(n)} chunks, {len(body)} bytes) ===")
            stats = pstats.Stats(prof, stream=sys.stdout)
            stats.strip_dirs().sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
