"""Which fonts a text scene draws with: the ``fonts:`` section (files, folders, the bundled and the
system fonts), sampling weights per file, folder or family, recording the font on each instance,
and picking a font that draws a given text."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from synthgen.config.params import Params, param
from synthgen.errors import ConfigError
from synthgen.text import fonts
from synthgen.text.items import TextItem


class FontsSettings(Params):
    """A text scene's ``fonts:`` section."""

    paths: tuple[str, ...] = param([], None, "font files or folders (searched recursively)")
    # the font set shipped with synthgen: 64 openly licensed families (serif, sans, mono, condensed,
    # display, handwriting; text/assets/fonts/manifest.json), the same bytes on every machine
    bundled: bool = param(True, None, "the font set shipped with synthgen (64 families, the same on every machine)")
    system: bool = param(False, None, "every font under the system font folders (machine-dependent)")
    # relative weights of fonts: key = a font's file name, a folder (every font under it), a
    # family name (FreeType's) or a class of the shipped set (serif, sans, mono, condensed, display,
    # handwriting); a shipped face weighs its family's manifest weight split over the family's
    # faces, other fonts 1, times the product of the keys that name it. ocr_recognition only.
    weights: dict[str, float] = param(
        {}, None, "relative weights of fonts by file name, folder, family or class of the shipped set"
    )
    per_family: bool = param(False, None, "each family weighs the same in total, however many files it has")
    # attributes.font (file name) and attributes.font_size (the pixel size it was drawn at) on each
    # text instance, and in the recognition writer's meta.jsonl
    record: bool = param(True, None, "record each instance's font file and pixel size")


def resolve_fonts(p: FontsSettings, key: str, charset: str | None = None) -> tuple[str, ...]:
    """Font files of a ``fonts:`` section (sorted, distinct); ConfigError when there are none.

    With ``charset``, the system fonts are only those that FreeType opens and that map every
    letter and digit of it (symbol, emoji and other-script faces left out); fonts named by
    ``paths`` are the user's choice and kept (a text they cannot draw gets another font).
    """
    paths = fonts.discover_fonts(p.paths, f"{key}.paths")
    if p.bundled:
        paths += fonts.bundled_fonts()
    if p.system:
        found = fonts.system_fonts()
        if charset is not None:
            needed = "".join(ch for ch in charset if ch.isalnum())
            found = [f for f in found if _opens(f) and fonts.covers(f, needed)]
        paths += found
    if not paths:
        raise ConfigError(key, "no fonts: give fonts.paths or set fonts.bundled/fonts.system")
    return tuple(sorted(set(paths)))


def font_family(path: str) -> str:
    """FreeType's family name of a font file (``DejaVu Sans`` for DejaVuSans-Bold.ttf)."""
    return fonts.load_font(path, 12).getname()[0] or Path(path).stem


def refuse_recognition_font_keys(p: FontsSettings, key: str) -> None:
    """ConfigError for ``fonts`` keys only ocr_recognition reads (weights, per_family), set in
    another scene, rather than ignoring them."""
    for name, default in (("weights", {}), ("per_family", False)):
        if getattr(p, name) != default:
            raise ConfigError(f"{key}.{name}", "only ocr_recognition reads it so far; leave it at its default here")


def resolve_font_weights(p: FontsSettings, paths: tuple[str, ...], key: str) -> tuple[float, ...] | None:
    """Sampling weights of ``paths`` from the shipped set's family weights, ``fonts.weights`` and
    ``fonts.per_family``; None when every font weighs the same (then a font is drawn exactly as
    without weights)."""
    shipped = {face.path: face for face in fonts.bundled_faces()}
    weights = np.array([shipped[f].weight if f in shipped else 1.0 for f in paths], np.float64)
    classes = [shipped[f].font_class if f in shipped else None for f in paths]
    families = [font_family(f) for f in paths] if (p.per_family or p.weights) else []
    for name, value in p.weights.items():
        where = f"{key}.weights.{name}"
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ConfigError(where, f"must be a number >= 0, got {value!r}")
        folder = str(Path(name).expanduser())
        hit = [
            k
            for k, f in enumerate(paths)
            if Path(f).name == name
            or families[k] == name
            or classes[k] == name
            or f.startswith(folder.rstrip("/") + "/")
        ]
        if not hit:
            raise ConfigError(
                where, "names no configured font (a file name, a folder, a family name or a class of the shipped set)"
            )
        weights[hit] *= float(value)
    if p.per_family:  # shipped faces already share their family's weight
        counts = Counter(f for f, path in zip(families, paths) if path not in shipped)
        weights /= np.array([1 if path in shipped else counts[f] for f, path in zip(families, paths)], np.float64)
    if weights.sum() <= 0:
        raise ConfigError(f"{key}.weights", "every font has weight 0")
    if np.all(weights == weights[0]):
        return None
    return tuple(float(w) for w in weights / weights.sum())


def record_fonts(items: Sequence[TextItem], record: bool) -> tuple[TextItem, ...]:
    """``items`` with ``attributes.font`` (the font's file name) and ``attributes.font_size`` (the
    pixel size it is drawn at) when ``record`` (``fonts.record``); unchanged otherwise."""
    if not record:
        return tuple(items)
    return tuple(
        replace(i, attributes={**i.attributes, "font": Path(i.font_path).name, "font_size": i.font_size}) for i in items
    )


def _opens(path: str) -> bool:
    try:
        fonts.check_font(path, "fonts.system")
    except ConfigError:
        return False
    return True


def pick_font(
    font_paths: tuple[str, ...],
    text: str,
    rng: np.random.Generator,
    weights: tuple[float, ...] | None = None,
    usable: Callable[[str, str], bool] = fonts.draws,
) -> str | None:
    """A random font that draws ``text`` as written; None when none does (never tofu, never
    capitals under a lower-case label).

    Args:
        weights: sampling probabilities of the fonts (``resolve_font_weights``), None for uniform.
        usable: (font, text) -> whether the font may draw it: ``fonts.draws`` (default), or
            ``fonts.covers`` for a caller that handles unicase faces itself.
    """
    if weights is None:
        first = int(rng.integers(len(font_paths)))
    else:
        first = int(rng.choice(len(font_paths), p=weights))
    if usable(font_paths[first], text):
        return font_paths[first]
    if weights is not None:
        ok = np.array([usable(f, text) for f in font_paths]) * np.asarray(weights)
        if ok.sum() > 0:
            return font_paths[int(rng.choice(len(font_paths), p=ok / ok.sum()))]
        return None
    for i in rng.permutation(len(font_paths)):
        if usable(font_paths[int(i)], text):
            return font_paths[int(i)]
    return None
