"""The shipped font set and corpus: what the manifest says is what ships, every class is there,
licences travel with the faces, runs record every font's hash and regress names a font change."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
from ocr_helpers import ocr_config

from synthgen.regress.compare import PIXELS, Comparison, Difference
from synthgen.regress.provenance import font_files, provenance, provenance_changes
from synthgen.regress.report import summary_text
from synthgen.text import fonts
from synthgen.text.corpus import CorpusSettings, corpus_sampler, draw_word


def test_manifest_matches_the_shipped_files():
    folder = fonts.bundled_font_dir()
    manifest = json.loads((folder / "manifest.json").read_text())
    families = manifest["families"]
    assert len(families) >= 40
    assert Counter(f["class"] for f in families).keys() == set(fonts.FONT_CLASSES)
    listed = set()
    for fam in families:
        assert (folder / fam["licence_file"]).is_file(), fam["family"]
        assert fam["package"].startswith("fonts-") and fam["version"]
        for face in fam["faces"]:
            data = (folder / face["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == face["sha256"], face["file"]
            listed.add(face["file"])
    on_disk = {p.name for p in folder.iterdir() if p.suffix in (".ttf", ".otf")}
    assert on_disk == listed  # no face without a manifest entry (and licence)
    assert {Path(p).name for p in fonts.bundled_fonts()} == listed
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) < 15 * 2**20


def test_every_shipped_face_draws_the_latin_letters_and_digits():
    for path in fonts.bundled_fonts():
        assert fonts.covers(path, "AZaz09"), path


def test_the_default_corpus_is_tens_of_thousands_of_words_drawn_by_flattened_frequency():
    freqs = fonts.builtin_frequencies("en")
    assert len(freqs) == 50_000 and freqs["the"] > freqs["house"] > freqs["locomotives"]
    words = tuple(freqs)
    rng = np.random.default_rng(0)
    draws = {}
    for temperature in (1.0, 3.0):
        cumulative = corpus_sampler(CorpusSettings(temperature=temperature), words, "corpus")
        drawn = Counter(draw_word(words, cumulative, rng) for _ in range(20_000))
        draws[temperature] = drawn
    # a higher temperature flattens: "the" less often, words outside the top 10,000 more often
    rare = set(words[10_000:])
    assert draws[3.0]["the"] < draws[1.0]["the"] / 5
    assert sum(n for w, n in draws[3.0].items() if w in rare) > 3 * sum(n for w, n in draws[1.0].items() if w in rare)


def test_a_run_records_every_font_hash_and_regress_names_a_font_change(tmp_path):
    cfg = ocr_config(tmp_path, "recognition", {})
    hashes = font_files(cfg)
    assert len(hashes) == len(fonts.bundled_fonts())
    assert (
        hashes["DejaVuSans.ttf"]
        == hashlib.sha256(Path(fonts.bundled_font_dir(), "DejaVuSans.ttf").read_bytes()).hexdigest()
    )
    golden = provenance(cfg)
    new = json.loads(json.dumps(golden))
    new["fonts"]["Lobster.otf" if "Lobster.otf" in new["fonts"] else "lobster.otf"] = "0" * 64
    del new["fonts"]["Kristi.ttf"]
    changes = provenance_changes(golden, new)
    assert any(c.startswith("font: lobster.otf changed (sha256 ") for c in changes), changes
    assert "font: Kristi.ttf no longer used" in changes
    diff = Difference(PIXELS, "ssim", "sample 0", "ssim 0.5", 0)
    comparison = Comparison(differences=(diff,), ssim={0: 0.5}, identical_pixels=0, causes=tuple(changes))
    report = summary_text(comparison, "c.yaml", "g.json")
    assert "font diff (a likely cause" in report and "lobster.otf changed" in report
