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


def test_the_manifest_holds_each_face_charset_and_unicase_verdict_as_the_file_measures_them(monkeypatch):
    """Start-up reads no shipped font file for its charset or its unicase verdict: manifest.json
    has them (scripts/pack_fonts.py --tables), and they are what the files hold."""
    import fontTools.ttLib

    faces = [face for fam in fonts._manifest()["families"] for face in fam["faces"]]
    assert len(faces) == len(fonts.bundled_fonts())
    for face in faces:
        path = str(fonts.bundled_font_dir() / face["file"])
        assert fonts.parse_ranges(face["charset"]) == fonts.read_charset(path), face["file"]
        assert face["unicase"] == fonts.measure_unicase(path), face["file"]
    fonts.font_charset.cache_clear()
    fonts.is_unicase.cache_clear()
    opened = []
    monkeypatch.setattr(fontTools.ttLib, "TTFont", lambda *a, **k: opened.append(a[0]))
    monkeypatch.setattr(fonts, "measure_unicase", lambda path: opened.append(path))
    try:
        for path in fonts.bundled_fonts():
            assert ord("a") in fonts.font_charset(path)
            fonts.is_unicase(path)
        assert opened == []
    finally:
        fonts.font_charset.cache_clear()
        fonts.is_unicase.cache_clear()


def test_code_point_ranges_round_trip():
    points = {0x20, 0x21, 0x22, 0x41, 0xA0, 0xA1, 0x2013, 0x1F600}
    text = fonts.format_ranges(points)
    assert text == "20-22 41 a0-a1 2013 1f600"
    assert fonts.parse_ranges(text) == points
    assert fonts.parse_ranges(fonts.format_ranges([])) == frozenset()


def test_a_run_hashes_its_fonts_once_not_at_every_manifest_refresh(tmp_path, monkeypatch):
    import synthgen
    from synthgen.engine import run
    from synthgen.regress import provenance

    calls = []
    real = provenance.font_files
    monkeypatch.setattr(provenance, "font_files", lambda cfg: calls.append(1) or real(cfg))
    monkeypatch.setattr(run, "MANIFEST_REFRESH_S", 0.0)  # a refresh after every shard
    cfg = ocr_config(tmp_path, "recognition", {}, num_samples=30)  # 3 shards of 10
    synthgen.generate(cfg, tmp_path / "out", workers=1, progress=False)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert len(calls) == 1
    assert manifest["fonts"] == real(cfg) and len(manifest["fonts"]) == len(fonts.bundled_fonts())
