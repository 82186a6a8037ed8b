# SPDX-License-Identifier: MIT
"""The command line: files / stdin -> JSON on stdout. Uses the public API only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import ChunkstreamError, assemble


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chunkstream",
        description="Assemble a captured chat.completion stream (SSE) into its completion.",
    )
    parser.add_argument("source", help="a captured text/event-stream body, or - for stdin")
    parser.add_argument("--lenient", action="store_true", help="never fail on a bad stream")
    args = parser.parse_args(argv)
    try:
        if args.source == "-":
            completion = assemble(sys.stdin.buffer, strict=not args.lenient)
        else:
            with open(args.source, "rb") as f:
                completion = assemble(f, strict=not args.lenient)
    except (ChunkstreamError, OSError) as exc:
        print(f"chunkstream: error: {exc}", file=sys.stderr)
        return 1
    for warning in completion.warnings:
        print(f"chunkstream: warning: {warning}", file=sys.stderr)
    json.dump(completion.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
