#!/usr/bin/env python
"""Benchmark the serialiser (``synthgen.records``) side by side with another checkout of synthgen.

The instance records of a few ``ocr_wild`` scenes (text instances: transcription, quads, char
quads, polygons; and their lines) are made once; then, for each tree in turn, a child process times
``instance_to_record`` of their typed Instances, ``instance_from_record`` of their records and the
typed view's text label (what the ICDAR and recognition writers read), interleaved --repeats times
so that drifts in the machine's load hit both trees alike. Medians are printed with the ratio
this tree / baseline.

    python scripts/bench_records.py --baseline /path/to/other/checkout   # 20 scenes, 5 repeats
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, pickle, sys, time
import synthgen
assert synthgen.__file__.startswith(sys.argv[3]), (synthgen.__file__, sys.argv[3])
from synthgen.records import InstanceView, instance_from_record, instance_to_record
records = pickle.load(open(sys.argv[1], "rb"))
loops = int(sys.argv[2])
instances = [instance_from_record(r) for r in records]

def text(view):  # the text label as a writer reads it, on either side of the slot change
    ext = getattr(view, "extensions", None)
    return ext.get("text") if ext is not None else view.text

def timed(fn):
    t0 = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - t0) / loops / len(records) * 1e6

out = {
    "to_record": timed(lambda: [instance_to_record(i) for i in instances]),
    "from_record": timed(lambda: [instance_from_record(r) for r in records]),
    "view text": timed(lambda: [text(InstanceView(r)) for r in records]),
}
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="root of the other checkout (holding synthgen/)")
    parser.add_argument("--num", type=int, default=20, help="ocr_wild scenes")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loops", type=int, default=5, help="passes over the records per timing")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    import synthgen
    from synthgen.records import to_record

    cfg = synthgen.load_config("ocr_wild", [f"num_samples={args.num}"])
    records = [i for n in range(args.num) for i in to_record(synthgen.make_sample(cfg, n), "x.png", "")["instances"]]
    trees = {"baseline": Path(args.baseline).resolve(), "this": ROOT}
    times: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.pkl"
        data.write_bytes(pickle.dumps(records))
        for r in range(args.repeats):
            for name, tree in trees.items():
                env = {**os.environ, "PYTHONPATH": str(tree)}
                cmd = [sys.executable, "-c", CHILD, str(data), str(args.loops), str(tree)]
                # cwd: the temporary folder, so that ``-c`` finds the tree's synthgen, not the one in the current folder
                out = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, check=True).stdout
                times[name].append(json.loads(out.strip().splitlines()[-1]))
                print(f"repeat {r} {name}: {times[name][-1]}", flush=True)
    print(f"{len(records)} instance records; µs per record, median of {args.repeats}:")
    for what in times["this"][0]:
        base = statistics.median(t[what] for t in times["baseline"])
        this = statistics.median(t[what] for t in times["this"])
        print(f"  {what:12} baseline {base:7.2f}  this {this:7.2f}  ratio {this / base:.2f}")


if __name__ == "__main__":
    main()
