"""layout_block: justified lines stretch their gaps to the block width, up to a bound past which a
line is set ragged (wide gaps split a line into words for a text detector)."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.errors import ConfigError
from synthgen.text import fonts
from synthgen.text.layout import MAX_JUSTIFIED_GAP, layout_block, word_advance

FONT = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
SIZE = 20


def gaps(placed, line: int) -> list[float]:
    """Ink-to-advance gaps are not the layout's; starts are: the distance between word starts minus advances."""
    words = [w for w in placed if w.line == line]
    return [b.ink[0] - a.ink[0] - word_advance(FONT, SIZE, a.text, 0.0) for a, b in zip(words, words[1:])]


def test_a_justified_line_fills_the_width_while_its_gaps_stay_within_the_bound():
    lines = [["alpha", "beta", "gamma", "delta"], ["end"]]
    natural = sum(word_advance(FONT, SIZE, w, 0.0) for w in lines[0]) + 3 * word_advance(FONT, SIZE, " ", 0.0)
    width = natural + 2 * word_advance(FONT, SIZE, " ", 0.0)  # each of the 3 gaps grows by 2/3 of a space
    placed, _ = layout_block(FONT, SIZE, lines, "justify", 30, width)
    space = word_advance(FONT, SIZE, " ", 0.0)
    g = gaps(placed, 0)
    np.testing.assert_allclose(g, [space * 5 / 3] * 3, rtol=1e-6)


@pytest.mark.parametrize("limit", [1.5, MAX_JUSTIFIED_GAP, 4.0])
def test_a_justified_line_whose_gaps_would_pass_the_bound_is_set_ragged(limit):
    space = word_advance(FONT, SIZE, " ", 0.0)
    words = ["a", "narrow", "column"]
    natural = sum(word_advance(FONT, SIZE, w, 0.0) for w in words) + 2 * space
    for extra in (0.2, 0.9, 2.0, 6.0):  # spaces added to each of the 2 gaps by stretching
        placed, _ = layout_block(FONT, SIZE, [words, ["last"]], "justify", 30, natural + 2 * extra * space,
                                 max_justified_gap=limit)
        g = gaps(placed, 0)
        if 1 + extra > limit:  # ragged: plain spaces from the start of the line
            np.testing.assert_allclose(g, [space, space], rtol=1e-6)
            assert placed[0].ink[0] < space  # at the start
        else:
            np.testing.assert_allclose(g, [space * (1 + extra)] * 2, rtol=1e-6)
            assert max(g) <= limit * space + 1e-6


def test_documents_bound_their_justified_gaps_and_check_the_bound(tmp_path):
    from synthgen.config import load_run_config

    for bad in (0.5, 25):
        with pytest.raises(ConfigError, match=r"^scene\.params\.max_justified_gap: must be in 1\.\.20"):
            load_run_config("ocr_document", [f"scene.params.max_justified_gap={bad}"])
    config = load_run_config("ocr_document", ["scene.params.max_justified_gap=3"])
    assert config.scene.settings.max_justified_gap == 3.0
