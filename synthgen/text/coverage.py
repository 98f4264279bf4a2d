"""Whether the configured fonts can draw a corpus: some word's glyphs at all, and every script in
it that needs shaping (the shaping libraries present, a font with the script's glyphs and tables)."""

from __future__ import annotations

from synthgen.errors import ConfigError
from synthgen.text import fonts


def check_corpus_coverage(words: tuple[str, ...], font_paths: tuple[str, ...], key: str) -> None:
    """Raise ConfigError naming the corpus ``key`` when no configured font can draw any of its words."""
    if not words:
        return
    if not any(any(fonts.covers(f, word) for f in font_paths) for word in words):
        raise ConfigError(
            key, f"no configured font covers any word of the corpus ({len(words)} words); add a font that covers them"
        )
    check_scripts(words, font_paths, key)


def check_scripts(words: tuple[str, ...], font_paths: tuple[str, ...], key: str) -> None:
    """Raise ConfigError naming ``key`` when the corpus holds words of a script that needs shaping
    (``shaping.SCRIPT_RANGES``) and the shaping libraries are missing or no configured font can draw
    and shape any word of that script (a font without the script's glyphs or OpenType tables)."""
    from synthgen.text import shaping

    if not shaping.needs_shaping(" ".join(words)):  # one scan of the whole corpus, not 50,000 calls
        return
    examples: dict[str, list[str]] = {}
    for word in words:
        if shaping.needs_shaping(word):
            for script in shaping.scripts_in(word):
                examples.setdefault(script, []).append(word)
    if not examples:
        return
    missing = shaping.missing_library()
    if missing is not None:
        first = next(iter(examples))
        raise ConfigError(key, f"{first} words (e.g. {examples[first][0]!r}) need text shaping: {missing}")
    for script, hits in examples.items():
        if not any(fonts.covers(f, w) for w in hits for f in font_paths):
            raise ConfigError(
                key,
                f"no configured font can draw and shape the {len(hits)} {script} words of the corpus "
                f"(e.g. {hits[0]!r}); add a font with {script} glyphs and OpenType tables to fonts.paths "
                f"(e.g. Debian's fonts-noto-core)",
            )
