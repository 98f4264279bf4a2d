#!/usr/bin/env python
"""Watch one driving renderer's memory over many frames: a slow leak, or the allocator settling?

One worker context (one OffscreenRenderer, as a worker holds) makes samples ``0..N-1`` of
``configs/driving.yaml`` at a small size in this process; every ``--every`` frames it prints the
RSS as read (``/proc/self/statm``) and after ``malloc_trim(0)`` (glibc gives its free heap pages
back: what is left is what the process holds). A leak grows both readings frame after frame; an
allocator settling moves the first and leaves the second flat. ``--leak-kb K`` plants a leak of K
KB a frame (memory written each frame) to show what one looks like.

    python scripts/bench_render_memory.py [--frames 600] [--every 25] [--start 200] [--leak-kb 0] [--size 96x64]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    """Resident set size of this process, MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--start", type=int, default=200, help="the summary compares readings from this frame on")
    parser.add_argument("--leak-kb", type=int, default=0, help="plant a leak of this many KB a frame")
    parser.add_argument("--size", default="96x64", help="WIDTHxHEIGHT of the frames")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from synthgen.config import load_run_config
    from synthgen.engine.context import WorkerContext
    from synthgen.engine.pipeline import make_sample

    libc = ctypes.CDLL("libc.so.6")
    config = load_run_config(
        ROOT / "configs" / "driving.yaml", [f"scene.params.width={width}", f"scene.params.height={height}"]
    )
    ctx = WorkerContext(config)
    kept, trimmed = [], []
    print("frame  RSS MB  after malloc_trim MB")
    try:
        for i in range(args.frames):
            make_sample(config, i, ctx)
            if args.leak_kb:
                kept.append(bytearray(b"\x01") * (args.leak_kb * 1024))
            if (i + 1) % args.every == 0:
                raw = rss_mb()
                libc.malloc_trim(0)
                trimmed.append((i + 1, rss_mb()))
                print(f"{i + 1:5d}  {raw:6.1f}  {trimmed[-1][1]:6.1f}", flush=True)
    finally:
        ctx.close()
    watched = [mb for frame, mb in trimmed if frame > args.start]
    if len(watched) >= 10:  # as tests/driving/test_renderer_memory.py reads it
        grew = statistics.median(watched[-5:]) - statistics.median(watched[:5])
        print(f"after trim, from frame {args.start}: median of the last 5 less that of the first 5 {grew:+.2f} MB")


if __name__ == "__main__":
    main()
