"""The label-extension slot: a domain's labels live in ``Instance.extensions``, the core knows them
by name and record keys only (``DOMAIN_LABELS``), and imports a domain only for a label it holds."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from synthgen.extensions import (
    DOMAIN_LABELS,
    DomainLabel,
    LabelExtension,
    domain_label_class,
    extensions_of,
    register_domain_label,
    with_labels,
)
from synthgen.records import domain_codecs, instance_from_record, instance_to_record
from synthgen.types import Instance

QUAD = np.array([[1, 2], [9, 2], [9, 6], [1, 6]], np.float32)


def _instance(**fields) -> Instance:
    return Instance(category="a", bbox=(0, 0, 1, 1), area=1, rle={"size": [8, 12], "counts": "0"}, **fields)


@pytest.mark.parametrize("name", sorted(DOMAIN_LABELS))
def test_the_domain_labels_known_without_import_are_the_classes_own(name):
    """``DOMAIN_LABELS`` lists each label's record keys so that the core need not import the domain;
    they are the keys its class's fields are written under, in order, and the class is an extension."""
    assert tuple(domain_codecs((name,))) == DOMAIN_LABELS[name].keys
    assert issubclass(domain_label_class(name), LabelExtension)


def test_a_record_imports_a_domain_only_for_a_label_it_holds():
    code = """
import json, sys
from synthgen.records import instance_from_record
plain = {"category": "car", "bbox": [0, 0, 1, 1], "area": 1, "segmentation": {}, "keypoints": [1, 2, 2]}
inst = instance_from_record(plain)
before = sorted(m for m in sys.modules if m.startswith("synthgen.text"))
word = instance_from_record({**plain, "text": "hi", "quad": [0, 0, 4, 0, 4, 2, 0, 2]})
print(json.dumps([before, inst.extensions, type(word.extensions["text"]).__module__]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, extensions, module = json.loads(out.strip().splitlines()[-1])
    assert before == [] and extensions == {} and module == "synthgen.text.label"


def test_the_slot_is_written_in_the_registry_order_and_read_back():
    from synthgen.text.label import TextRecord

    word = _instance(extensions={"text": TextRecord("hi", QUAD)}, attributes={"line": 0})
    rec = instance_to_record(word)
    assert list(rec) == ["category", "bbox", "area", "segmentation", "text", "quad", "attributes"]
    back = instance_from_record(rec)
    assert back.extensions["text"].transcription == "hi"
    np.testing.assert_array_equal(back.extensions["text"].quad, QUAD)
    # an ICDAR ``###`` word: a quad and no transcription is still a text label
    assert instance_from_record({k: v for k, v in rec.items() if k != "text"}).extensions["text"].transcription is None
    with pytest.raises(ValueError, match="unknown label extension"):
        instance_to_record(_instance(extensions={"track": object()}))


def test_with_labels_puts_a_domain_label_in_the_slot_and_a_core_one_in_its_field():
    from synthgen.text.label import TextRecord

    kp = np.array([[2, 3, 2]], np.float32)
    inst = _instance(extensions={"text": TextRecord("hi", QUAD)}, keypoints=kp)
    labels = extensions_of(inst)
    assert list(labels) == ["text", "keypoints"]
    moved = {name: label.with_points(label.points() + 1) for name, label in labels.items()}
    out = with_labels(inst, {"text": moved["text"], "keypoints": moved["keypoints"].array}, area=5)
    np.testing.assert_array_equal(out.extensions["text"].quad, QUAD + 1)
    np.testing.assert_array_equal(out.keypoints, [[3, 4, 2]])
    assert out.area == 5 and inst.extensions["text"].quad is QUAD  # the original is left as it was


def test_a_label_may_not_take_a_name_or_a_record_key_already_taken():
    with pytest.raises(ValueError, match="taken"):
        register_domain_label("keypoints", DomainLabel("x:Y", ("kp",)))
    with pytest.raises(ValueError, match="taken"):
        register_domain_label("caption", DomainLabel("x:Y", ("quad",)))
    with pytest.raises(ValueError, match="taken"):
        register_domain_label("caption", DomainLabel("x:Y", ("caption", "segmentation")))
    assert "caption" not in DOMAIN_LABELS
