#!/usr/bin/env python
"""Build synthgen's default English corpus (synthgen/text/assets/corpus/words_en.tsv.gz) from wordfreq.

The list holds the ``--top`` most frequent English words of wordfreq's ``best`` list that are
written in Latin letters (a-z, the Latin-1 and Latin Extended-A letters the default font set
draws, with inner apostrophes and hyphens: ``don't``, ``well-known``), one ``word<TAB>frequency`` a
line, most frequent first; the frequency is wordfreq's (occurrences per word of running text, in
its centibel buckets, written with 4 significant digits). Gzip with a zero timestamp, so two runs
with the same wordfreq give the same bytes. wordfreq is needed only here, not at run time:

    python -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1
    /tmp/wf/bin/python scripts/build_corpus.py
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "synthgen" / "text" / "assets" / "corpus" / "words_en.tsv.gz"
LETTERS = "a-zA-Z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f"
WORD = re.compile(rf"[{LETTERS}]+(?:['\-][{LETTERS}]+)*")


def build(top: int) -> list[tuple[str, float]]:
    import wordfreq

    kept: list[tuple[str, float]] = []
    seen: set[str] = set()
    for centibels, bucket in enumerate(wordfreq.get_frequency_list("en", wordlist="best")):
        freq = float(f"{10.0 ** (-centibels / 100):.4g}")
        for word in bucket:
            if WORD.fullmatch(word) and word not in seen and len(word) <= 40:
                seen.add(word)
                kept.append((word, freq))
        if len(kept) >= top:
            break
    return kept[:top]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=50_000)
    ap.add_argument("-o", "--out", type=Path, default=OUT)
    args = ap.parse_args()
    words = build(args.top)
    text = f"# wordfreq {metadata.version('wordfreq')} 'best' English list, top {len(words)} Latin-script words\n"
    text += "".join(f"{w}\t{f:.4g}\n" for w, f in words)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    args.out.write_bytes(buf.getvalue())
    print(f"{len(words)} words, {args.out.stat().st_size / 1024:.0f} KiB -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
