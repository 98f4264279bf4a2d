"""The one serialiser of the sample model: ``Sample`` <-> JSON-able record.

Shard records, ``synthgen regress`` and every writer and reader go through ``to_record`` /
``from_record``. A sample record::

    {"index", "file_name", "width", "height", "sha256",
     "categories": [names in the run table's order], "meta": {...},
     "camera": {"intrinsics": [9], "extrinsics": [16], "width", "height"}     (3D scenes)
     "instances": [instance records]}

An instance record is derived from the fields of ``synthgen.types.Instance``: one key per field, in
the order the fields are declared, written by the codec its metadata names (``CODECS``, one per
field type) and left out where the value is None. There is no list of fields besides the
dataclasses: ``instance_keys()`` gives the keys. Today that is ``category``, ``bbox`` [x, y, w, h],
``area``, ``segmentation`` (COCO compressed RLE) and, where known: the keys of a domain's labels
(``Instance.extensions``, each written by its own dataclass's fields, in ``DOMAIN_LABELS`` order: the
text domain's ``text`` (transcription), ``quad`` (8 numbers), ``chars`` and ``char_quads``, ``polygon``
(2N numbers)), ``attributes``, ``amodal_bbox`` [x, y, w, h], ``occlusion``, ``truncation``, ``keypoints``
([x, y, v] * K, as COCO), ``box3d`` (``center``, ``dimensions``, ``yaw``). Coordinates are rounded to 3
decimals, which keeps files small and stable across CPUs whose last float bits differ. A real
instance adds ``original``: its dataset's own values of those labels, exactly as read
(``OriginalLabels``).

A record in a shard file may also hold ``derived``: writer name -> what that writer derives from
the record for its dataset-level file, computed in the shard producers
(``synthgen.formats.base.WriterKind.derive``; COCO's polygons). It is not part of the sample model:
``from_record`` ignores it and a writer gives the same bytes without it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.extensions import DOMAIN_LABELS, domain_label_class
from synthgen.types import Box3D, Camera, Category, CategoryTable, Instance, Labels, OriginalLabels, Sample

# the key of a shard record's writer-derived data (not part of the sample model)
DERIVED = "derived"
# the key of a real instance's labels as its dataset holds them (``OriginalLabels``): not a label
# of its own but the source's values of ``bbox``, ``area``, ``segmentation``, ``keypoints`` (and
# COCO's ``iscrowd``, ``num_keypoints``), written last and kept byte for byte (never rounded)
ORIGINAL = "original"


def floats(values: Any, decimals: int = 3) -> list[float]:
    """A flat list of rounded floats."""
    return [round(float(v), decimals) for v in np.asarray(values, np.float64).reshape(-1)]


def _array(values: Any, shape: tuple[int, ...], dtype: str = "float32") -> np.ndarray:
    return np.asarray(values, dtype).reshape(shape)


@dataclass(frozen=True)
class Codec:
    """How one type of label field is written into a record and read back.

    Attributes:
        encode: (value, the field's metadata) -> JSON-able value.
        decode: (JSON value, the field's metadata) -> the field's value.
    """

    encode: Callable[[Any, dict], Any]
    decode: Callable[[Any, dict], Any]


def _encode_keypoints(kp: Any, _: dict) -> list:
    kp = np.asarray(kp, np.float64).reshape(-1, 3)
    return [v for x, y, vis in kp for v in (round(x, 3), round(y, 3), int(vis))]


def _encode_box3d(box: Box3D, _: dict) -> dict[str, Any]:
    return {"center": floats(box.center, 4), "dimensions": floats(box.dimensions, 4), "yaw": round(float(box.yaw), 6)}


def _decode_box3d(rec: dict, _: dict) -> Box3D:
    return Box3D(np.asarray(rec["center"], np.float64), np.asarray(rec["dimensions"], np.float64), float(rec["yaw"]))


def _decode_floats(values: Any, meta: dict) -> Any:
    if "shape" in meta:
        return _array(values, meta["shape"], meta.get("dtype", "float32"))
    return tuple(float(v) for v in values)


# One codec per type of label field; a field's metadata names its codec (``synthgen.types.codec``).
CODECS: dict[str, Codec] = {
    "text": Codec(lambda v, m: v, lambda v, m: v),
    "int": Codec(lambda v, m: int(v), lambda v, m: int(v)),
    "ints": Codec(lambda v, m: [int(x) for x in v], lambda v, m: tuple(int(x) for x in v)),
    # a JSON value kept as it is (an RLE, attributes); a mapping is read back as a copy
    "json": Codec(lambda v, m: v, lambda v, m: dict(v) if isinstance(v, dict) else v),
    # numbers rounded to ``decimals`` (3), flat; read back as an array of ``shape`` (or a tuple)
    "floats": Codec(lambda v, m: floats(v, m.get("decimals", 3)), _decode_floats),
    "ratio": Codec(lambda v, m: round(float(v), 4), lambda v, m: float(v)),
    "points": Codec(lambda v, m: floats(v), lambda v, m: _array(v, m["shape"], m.get("dtype", "float32"))),
    "point_groups": Codec(
        lambda v, m: [floats(g) for g in v], lambda v, m: _array(v, m["shape"], m.get("dtype", "float32"))
    ),
    "keypoints": Codec(_encode_keypoints, lambda v, m: _array(v, (-1, 3), m.get("dtype", "float32"))),
    "box3d": Codec(_encode_box3d, _decode_box3d),
    "original": Codec(lambda v, m: original_to_record(v), lambda v, m: original_from_record(v)),
}
EXTENSIONS = "extensions"  # the slot of a domain's labels, each a dataclass whose fields are written into the record


@dataclass(frozen=True)
class _Field:
    """One field of a dataclass as the serialiser walks it (resolved once per class)."""

    name: str
    key: str
    codec: Codec | None  # None: the slot of a domain's labels (``EXTENSIONS``)
    meta: dict
    omit_empty: bool = False
    with_name: str | None = None  # written only where this field (``with_key``'s) has a value


@functools.cache
def _fields(cls: type) -> tuple[_Field, ...]:
    """The label fields of a dataclass, in declaration order, with their codecs."""
    out = []
    declared = dataclasses.fields(cls)
    for f in declared:
        meta = dict(f.metadata)
        name = meta.get("codec")
        if name is None:
            raise TypeError(f"{cls.__name__}.{f.name} names no codec (synthgen.types.codec) to write it with")
        if name == EXTENSIONS:
            out.append(_Field(f.name, f.name, None, meta))
            continue
        if name not in CODECS:
            raise TypeError(f"{cls.__name__}.{f.name}: unknown codec {name!r}; known: {sorted(CODECS)}")
        with_name = None
        if "with_key" in meta:
            with_name = next(g.name for g in declared if g.metadata.get("key", g.name) == meta["with_key"])
        key = meta.get("key", f.name)
        out.append(_Field(f.name, key, CODECS[name], meta, omit_empty=bool(meta.get("omit_empty")), with_name=with_name))
    return tuple(out)


def _slot_keys() -> list[str]:
    """The record keys of every domain label (``DOMAIN_LABELS``' own list: nothing is imported)."""
    return [k for label in DOMAIN_LABELS.values() for k in label.keys]


def instance_keys(cls: type = Instance) -> tuple[str, ...]:
    """Every key an instance record of ``cls`` may hold, in the order it is written (``original`` last)."""
    return tuple(k for f in _fields(cls) for k in (_slot_keys() if f.codec is None else [f.key]))


def instance_codecs(cls: type = Instance, domains: Iterable[str] | None = None) -> dict[str, str]:
    """Each key an instance record of ``cls`` may hold -> the name of its codec (``CODECS``), in order.

    Args:
        cls: ``Instance`` or a subclass.
        domains: the domain labels (``DOMAIN_LABELS``) whose keys to give (their classes are
            imported); None for every one.
    """
    out = {}
    for f in _fields(cls):
        if f.codec is not None:
            out[f.key] = f.meta["codec"]
        else:
            out.update(domain_codecs(None if domains is None else tuple(domains)))
    return out


def domain_codecs(names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Each record key of the domain labels ``names`` (default: every one) -> the name of its codec;
    imports their classes."""
    out: dict[str, str] = {}
    for name in DOMAIN_LABELS if names is None else names:
        out.update(_label_codecs(name))
    return out


@functools.cache
def _label_codecs(name: str) -> dict[str, str]:
    return {g.key: g.meta["codec"] for g in _fields(domain_label_class(name))}


def _encode_into(obj: Any, fields: tuple[_Field, ...], rec: dict[str, Any]) -> None:
    for f in fields:
        value = getattr(obj, f.name)
        if value is None or (f.omit_empty and not value):
            continue
        if f.codec is None:
            _encode_slot(value, rec)
        elif f.with_name is None or getattr(obj, f.with_name) is not None:
            rec[f.key] = f.codec.encode(value, f.meta)


def _decode_from(
    rec: dict[str, Any], cls: type, fields: tuple[_Field, ...], exact: bool = False, given: dict[str, Any] | None = None
) -> Any:
    values = {}
    for f in fields:
        if given and f.name in given:
            continue
        if f.codec is None:
            values[f.name] = _decode_field(rec, f, exact)
        elif f.key in rec:
            values[f.name] = _decode_field(rec, f, exact)
    return cls(**values, **(given or {}))


def _encode_slot(labels: dict[str, Any], rec: dict[str, Any]) -> None:
    """Write a domain's labels (an instance's ``extensions``) into ``rec``: each one's fields, by their
    codecs, in ``DOMAIN_LABELS`` order (whatever the mapping's)."""
    if not labels:
        return
    if unknown := labels.keys() - DOMAIN_LABELS.keys():
        raise ValueError(f"unknown label extension(s) {sorted(unknown)}; registered: {sorted(DOMAIN_LABELS)}")
    for name in DOMAIN_LABELS:
        label = labels.get(name)
        if label is not None:
            _encode_into(label, _fields(type(label)), rec)


def _decode_slot(rec: dict[str, Any], exact: bool) -> dict[str, Any]:
    """The domain labels of an instance record, by extension name. A label is there when any of its
    keys is (an ICDAR ``###`` word: a quad, no text); its class is imported only then."""
    out = {}
    for name, label in DOMAIN_LABELS.items():
        if rec.keys().isdisjoint(label.keys):
            continue
        resolved = _SLOT_CLASSES.get(name)
        if resolved is None:
            cls = domain_label_class(name)
            resolved = _SLOT_CLASSES[name] = (cls, _fields(cls))
        out[name] = _decode_from(rec, *resolved, exact)
    return out


_SLOT_CLASSES: dict[str, tuple[type, tuple[_Field, ...]]] = {}  # a domain label's class and fields, once imported


def _decode_field(rec: dict[str, Any], f: _Field, exact: bool) -> Any:
    """The value of one field in ``rec`` (None where absent). ``exact``: arrays as float64, the very
    numbers the record holds (a writer's output from a view is then the bytes it gives from the record)."""
    if f.codec is None:
        return _decode_slot(rec, exact)
    if f.key not in rec:
        return None
    return f.codec.decode(rec[f.key], {**f.meta, "dtype": "float64"} if exact else f.meta)


def instance_to_record(inst: Instance) -> dict[str, Any]:
    """The JSON-able record of one Instance (keys absent where the instance has no value)."""
    rec: dict[str, Any] = {}
    _encode_into(inst, _fields(type(inst)), rec)
    return rec


def instance_from_record(
    rec: dict[str, Any], cls: type[Instance] = Instance, exact: bool = False, **given: Any
) -> Instance:
    """The Instance (or ``cls``, a subclass with more fields) of an instance record (the inverse of
    ``instance_to_record``).

    Args:
        rec: the instance record (or part of one: the fields it lacks must be ``given``).
        cls: ``Instance`` or a subclass.
        exact: arrays as float64, the very numbers the record holds (a reader that types what it
            read, whose record is then written again, keeps them).
        **given: field values that take the place of the record's (a reader's mask, computed apart).
    """
    return _decode_from(rec, cls, _fields(cls), exact, given)


@functools.cache
def model_keys() -> frozenset[str]:
    """The fields of the sample model a writer may write (``WriterKind.writes``): the instance
    record's keys (``original`` aside: a real instance's own values of the others) and the labels'
    own fields beside the instances and the category table (``camera``, ``depth``, ``semantic``)."""
    labels = {f.name for f in dataclasses.fields(Labels)} - {"instances", "categories"}
    return frozenset(instance_keys()) - {ORIGINAL} | labels


def as_instance(inst: Instance | dict[str, Any]) -> Instance:
    """An Instance as it is, or the typed view of an instance record (``instance_from_record``; a
    record without a mask, as a test or a writer's merged parts may hold, gets an empty one)."""
    if isinstance(inst, Instance):
        return inst
    return instance_from_record(inst if "segmentation" in inst else {**inst, "segmentation": {}})


# codecs whose JSON value is the field's value as it is (a view returns it without a copy: read-only)
_AS_WRITTEN = frozenset({"text", "int", "json", "ratio"})


def _view_getter(f: _Field, default: Callable[[], Any]) -> Callable[[dict[str, Any]], Any]:
    """(instance record) -> the value of field ``f`` as ``InstanceView`` gives it (decoded, exact)."""
    if f.codec is None:
        return lambda rec: _decode_slot(rec, exact=True)
    if f.codec is not None and f.meta["codec"] == "ints":
        key = f.key
        return lambda rec: tuple(rec[key]) if key in rec else default()

    def get(rec: dict[str, Any]) -> Any:
        value = _decode_field(rec, f, exact=True)
        return default() if value is None else value

    return get


@functools.cache
def _instance_view_fields() -> dict[str, tuple[_Field, Callable[[dict[str, Any]], Any], Callable[[], Any]]]:
    """Instance field name -> (its serialiser field, (record) -> its value in a view, () -> its value
    where the record lacks it)."""
    defaults = {}
    for f in dataclasses.fields(Instance):
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = lambda d=f.default: d
        elif f.default_factory is not dataclasses.MISSING:
            defaults[f.name] = f.default_factory
        else:
            defaults[f.name] = lambda: None
    return {f.name: (f, _view_getter(f, defaults[f.name]), defaults[f.name]) for f in _fields(Instance)}


class _Decoded:
    """An ``InstanceView`` attribute: the field decoded from the record on first use, then kept in
    the view's ``__dict__`` (which the next lookups find first: this descriptor has no ``__set__``)."""

    __slots__ = ("name", "get")

    def __init__(self, name: str, get: Callable[[dict[str, Any]], Any]):
        self.name, self.get = name, get

    def __get__(self, view: InstanceView | None, owner: type) -> Any:
        if view is None:
            return self
        value = view.__dict__[self.name] = self.get(view.record)
        return value


class _AsWritten:
    """An ``InstanceView`` attribute whose record value is the field's value as it is (no decoding)."""

    __slots__ = ("key", "default")

    def __init__(self, key: str, default: Callable[[], Any]):
        self.key, self.default = key, default

    def __get__(self, view: InstanceView | None, owner: type) -> Any:
        if view is None:
            return self
        rec = view.record
        return rec[self.key] if self.key in rec else self.default()


class InstanceView:
    """The typed read-only view of an instance record: each field of ``Instance`` as an attribute,
    decoded by its codec on first use (arrays as float64: exactly the numbers the record holds), so
    a writer reads a shard's records field by field without decoding the ones it does not write.
    Values are the record's own where the codec keeps them as they are (``attributes``, ``rle``):
    read them, never change them.

    Attributes:
        record: the instance record it views (not to be changed while viewed).
    """

    def __init__(self, record: dict[str, Any]):
        self.__dict__["record"] = record

    def __getattr__(self, name: str) -> Any:  # only for a name that is no field
        raise AttributeError(f"an instance has no field {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"an instance view is read-only ({name})")

    @property
    def visible(self) -> bool:
        """Whether any pixel of it is visible (``Instance.visible``)."""
        return self.area > 0

    def as_written(self, name: str) -> Any:
        """The record's own value of the (plain) field ``name`` as written (a list where the
        field is an array), or None where the record lacks it."""
        return self.record.get(_FIELD_KEYS[name])

    def written(self, names: tuple[str, ...]) -> dict[str, Any]:
        """The record's own values (as written, not decoded) of the fields ``names`` that it holds,
        by record key, in the order given (``extensions`` gives each key of every domain label)."""
        rec = self.record
        keys = _WRITTEN_KEYS.get(names) or _WRITTEN_KEYS.setdefault(names, keys_of(names))
        return {k: rec[k] for k in keys if k in rec}


_FIELD_KEYS = {name: f.key for name, (f, _, _) in _instance_view_fields().items()}  # (the slot: its name)
_WRITTEN_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}  # InstanceView.written's keys, by fields asked
for _name, (_field, _get, _default) in _instance_view_fields().items():
    _plain = _field.codec is not None and _field.meta["codec"] in _AS_WRITTEN
    setattr(InstanceView, _name, _AsWritten(_field.key, _default) if _plain else _Decoded(_name, _get))
del _name, _field, _get, _default, _plain


def instance_views(rec: dict[str, Any]) -> list[InstanceView]:
    """The typed read-only views of a sample record's instances, in order."""
    return [InstanceView(i) for i in rec["instances"]]


def record_with(rec: dict[str, Any], **values: Any) -> dict[str, Any]:
    """A copy of an instance record with the (plain) fields ``values`` written by their codecs:
    in their place where the record holds them, else where the serialiser writes them (a mix's
    category map on a record not yet resolved; the mask of a reader's pending instance)."""
    out = dict(rec)
    added = False
    for name, value in values.items():
        f = _instance_view_fields()[name][0]
        if f.codec is None:
            raise ValueError(f"record_with writes plain fields, not the slot {name!r}")
        added = added or f.key not in out
        out[f.key] = f.codec.encode(value, f.meta)
    if added:  # the serialiser's key order, keys it does not know last
        order = _key_order()
        out = dict(sorted(out.items(), key=lambda item: order.get(item[0], len(order))))
    return out


@functools.cache
def _key_order() -> dict[str, int]:
    return {key: n for n, key in enumerate(instance_keys())}


def keys_of(names: Iterable[str]) -> tuple[str, ...]:
    """The record keys of the Instance fields ``names`` (the slot's: every domain label's), in the order given."""
    fields = [_instance_view_fields()[n][0] for n in names]
    return tuple(k for f in fields for k in (_slot_keys() if f.codec is None else [f.key]))


def instance_fields() -> tuple[str, ...]:
    """The field names of ``Instance``, in declaration (record) order."""
    return tuple(f.name for f in _fields(Instance))


def labels_of_record(rec: dict[str, Any], categories: CategoryTable | None = None) -> Labels:
    """The typed view of a sample record's labels: instances and camera as the record holds them
    (rounded as written, so what a writer derives from them is the same from a sample or its record).

    Args:
        rec: a sample record.
        categories: the run's category table; None builds one from the record's names, ids 1, 2, ...
    """
    return Labels(
        instances=tuple(instance_from_record(i) for i in rec["instances"]),
        categories=categories if categories is not None else CategoryTable.of_names(rec["categories"]),
        camera=camera_from_record(rec["camera"]) if "camera" in rec else None,
    )


@functools.cache
def original_keys() -> tuple[str, ...]:
    """The keys of an ``original`` record: ``OriginalLabels``' fields."""
    return tuple(f.name for f in dataclasses.fields(OriginalLabels))


def original_to_record(original: OriginalLabels) -> dict[str, Any]:
    """The record of a real instance's labels as read: the values as they are, absent ones left out."""
    return {k: v for k in original_keys() if (v := getattr(original, k)) is not None}


def original_from_record(rec: dict[str, Any]) -> OriginalLabels:
    return OriginalLabels(**{k: rec[k] for k in original_keys() if k in rec})


def camera_to_record(camera: Camera) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    _encode_into(camera, _fields(Camera), rec)
    return rec


def camera_from_record(rec: dict[str, Any]) -> Camera:
    return _decode_from(rec, Camera, _fields(Camera))


def to_record(sample: Sample, file_name: str, sha256: str) -> dict[str, Any]:
    """The JSON-able record of a sample: everything but the pixels and the dense layers.

    Args:
        sample: the sample.
        file_name: its image's path relative to the dataset root (``images/000000007.png``).
        sha256: hex digest of the image file's bytes.
    """
    h, w = sample.image.shape[:2]
    rec: dict[str, Any] = {
        "index": sample.meta["index"],
        "file_name": file_name,
        "width": int(w),
        "height": int(h),
        "sha256": sha256,
        "categories": list(sample.labels.categories.names),
        "meta": sample.meta,
    }
    if sample.labels.camera is not None:
        rec["camera"] = camera_to_record(sample.labels.camera)
    rec["instances"] = [instance_to_record(i) for i in sample.labels.instances]
    return rec


def from_record(rec: dict[str, Any], image: np.ndarray, categories: CategoryTable | None = None) -> Sample:
    """The Sample of a record (the inverse of ``to_record``).

    Args:
        rec: a sample record.
        image: (H, W, 3) uint8 pixels of ``rec["file_name"]``.
        categories: the run's category table (a dataset's manifest holds it); None builds one
            from the record's names with ids 1, 2, ...
    """
    return Sample(image=image, labels=labels_of_record(rec, categories), meta=rec["meta"])


def table_to_record(table: CategoryTable) -> list[dict[str, Any]]:
    """The category table as the manifest and COCO hold it."""
    out = []
    for c in table.categories:
        entry: dict[str, Any] = {"id": c.id, "name": c.name}
        if c.keypoints:
            entry["keypoints"] = list(c.keypoints)
            entry["skeleton"] = [list(p) for p in c.skeleton]
        if c.color is not None:
            entry["color"] = list(c.color)
        out.append(entry)
    return out


def table_from_record(entries: list[dict[str, Any]]) -> CategoryTable:

    return CategoryTable(
        tuple(
            Category(
                id=int(e["id"]),
                name=str(e["name"]),
                keypoints=tuple(e.get("keypoints", ())),
                skeleton=tuple(tuple(p) for p in e.get("skeleton", ())),  # type: ignore[misc]
                color=tuple(e["color"]) if e.get("color") is not None else None,  # type: ignore[arg-type]
            )
            for e in entries
        )
    )
