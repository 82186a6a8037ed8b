# SPDX-License-Identifier: MIT
"""chunkstream benchmarks: ``python -m benchmarks.run`` (see README.md in this folder)."""
