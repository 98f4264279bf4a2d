"""The background bank: N diffusion backgrounds made once, cached on disk, drawn by many samples.

Diffusion costs seconds per image on a CPU; a scene's background is one of the bank's images,
cropped and resized, so the cost is spread over every sample that uses the bank and reused by
later runs. A bank is keyed by everything that decides its pixels (model, textures or prompt,
size, steps, seed, count, device) and lives in ``<cache>/banks/<key>/`` (``cache``: the bank's
``dir``, else ``$SYNTHGEN_CACHE``, else ``~/.cache/synthgen``). The first process that needs it
builds it under a file lock; the others wait and read it. Image ``i`` is made from its own seed
``(seed, i)``, so a bank is the same whichever process built it.

Batching: the bank makes its images ``batch_size`` at a time, one model call per batch with one
torch.Generator per image (seeded from ``(seed, i)`` as unbatched). A batched convolution or matrix
product may round differently from the same work one image at a time (CPU kernels pick another
blocking for another batch size), so a batched image can differ from the unbatched one in the
last bit of a float and, rarely, by one level of a pixel; ``batch_size`` is therefore part of the
bank's key. The bank is where batching is sound: the per-sample steps (``inpaint_background``,
``refine``, ``controlnet``) see one sample at a time in a worker, and batching samples together
would make a sample's pixels depend on which others shared its batch.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from synthgen.diffusion_models.models import BUILTIN, BUILTIN_CLASSES, IMAGE_PIPELINES, check_model, pipeline_images
from synthgen.errors import ConfigError, DatasetError

BANK_FORMAT = 1


@dataclass
class BankSchema:
    model: str = BUILTIN  # "builtin" or a local Stable Diffusion (1.x/2.x/XL) folder (diffusers format)
    textures: list[str] = None  # type: ignore[assignment]  # built-in model: classes, in turn (default: all)
    prompt: str = "a photo of a textured surface"  # checkpoints
    count: int = 16  # images in the bank
    size: int = 128  # px, square; scenes crop and resize it
    steps: int = 25  # denoising steps per image
    seed: int = 0
    batch_size: int = 1  # images per model call (a GPU: 4-16; a CPU gains less, see README)
    dir: Optional[str] = None  # cache folder (default $SYNTHGEN_CACHE or ~/.cache/synthgen)

    def __post_init__(self):
        if self.textures is None:
            self.textures = list(BUILTIN_CLASSES)


def bank_from_config(p: BankSchema, key: str) -> dict[str, Any]:
    """The bank's description (JSON-able: it travels in each sample's background spec)."""
    model = check_model(p.model, f"{key}.model", IMAGE_PIPELINES)
    for i, texture in enumerate(p.textures):
        if texture not in BUILTIN_CLASSES:
            raise ConfigError(
                f"{key}.textures[{i}]", f"unknown built-in class {texture!r}; valid: {', '.join(BUILTIN_CLASSES)}"
            )
    if not p.textures:
        raise ConfigError(f"{key}.textures", "needs at least one texture")
    if not 1 <= p.count <= 10000:
        raise ConfigError(f"{key}.count", f"must be in 1..10000, got {p.count}")
    if not 16 <= p.size <= 2048 or p.size % 8:
        raise ConfigError(f"{key}.size", f"must be a multiple of 8 in 16..2048, got {p.size}")
    if not 1 <= p.steps <= 1000:
        raise ConfigError(f"{key}.steps", f"must be in 1..1000, got {p.steps}")
    if not 1 <= p.batch_size <= 256:
        raise ConfigError(f"{key}.batch_size", f"must be in 1..256, got {p.batch_size}")
    if not 0 <= p.seed < 2**63:
        raise ConfigError(f"{key}.seed", f"must be in 0..2**63-1, got {p.seed}")
    spec = {**asdict(p), "model": model, "textures": list(p.textures)}
    _check_cache_folder(cache_root(spec), f"{key}.dir", "" if p.dir else " ($SYNTHGEN_CACHE, else ~/.cache/synthgen)")
    return spec


def _check_cache_folder(root: Path, key: str, source: str) -> None:
    """The bank cache must be a folder that exists or can be made, and that this user can write
    (checked at load: a bad ``dir`` was a traceback in the first worker)."""
    if not str(root).strip():
        raise ConfigError(key, "an empty path")
    existing = root
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if existing == root and not root.is_dir():
        raise ConfigError(key, f"{root}{source} exists and is not a folder")
    if not existing.is_dir():
        raise ConfigError(key, f"{root}{source}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(key, f"{root}{source}: no permission to write in {existing}")


def cache_root(spec: dict[str, Any]) -> Path:
    if spec.get("dir"):
        return Path(spec["dir"]).expanduser()
    if os.environ.get("SYNTHGEN_CACHE"):
        return Path(os.environ["SYNTHGEN_CACHE"]).expanduser()
    return Path.home() / ".cache" / "synthgen"


def bank_key(spec: dict[str, Any]) -> str:
    from synthgen.diffusion_models.models import device_and_dtype

    ident = {k: v for k, v in spec.items() if k != "dir"}
    if ident.get("batch_size", 1) == 1:
        ident.pop("batch_size", None)  # banks made one image at a time before batch_size keep their key
    ident["device"] = device_and_dtype()[0].split(":")[0]  # a GPU's fp16 pixels differ from a CPU's (any GPU: one key)
    ident["format"] = BANK_FORMAT
    if spec["model"] == BUILTIN:
        from synthgen.diffusion_models.models import builtin_dir

        ident["weights"] = _builtin_weights_hash(builtin_dir() / "diffusion_pytorch_model.safetensors")
    else:  # keyed by the weights, not the path: new weights at the same path make a new bank
        ident["weights"] = weights_fingerprint(Path(spec["model"]), cache_root(spec))
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]


def _builtin_weights_hash(path: Path) -> str:
    """sha256 of the built-in model's weights, read once per process while the file's stat holds
    (bank_key runs for every sample that draws a bank background: it read and hashed 4.5 MB each time)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _fingerprints:
        _fingerprints[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _fingerprints[key]


WEIGHT_HASHES = "weight-hashes.json"  # in the cache root: path -> size, mtime_ns, sha256
_fingerprints: dict[tuple, str] = {}  # this process's: (folder, its files' stat) -> fingerprint


def weights_fingerprint(folder: Path, root: Path) -> str:
    """A hash of the contents of a checkpoint folder's weight files (``.safetensors``, ``.bin``,
    every component). Hashing a real checkpoint's gigabytes takes seconds, so each file's hash is
    kept in ``<cache>/weight-hashes.json`` with its size and mtime and hashed again only when they
    change, and each process keeps the folder's result while its files' stat stays the same."""
    from synthgen.files import file_sha256, write_atomic

    files = sorted(p for p in folder.rglob("*") if p.suffix in (".safetensors", ".bin") and p.is_file())
    stats = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    known = _fingerprints.get((str(folder), stats))
    if known is not None:
        return known
    store = root / WEIGHT_HASHES
    try:
        cache = json.loads(store.read_text(encoding="utf-8"))
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    entries, changed = [], False
    for path, size, mtime in stats:
        key = str(Path(path).resolve())
        hit = cache.get(key)
        if isinstance(hit, dict) and hit.get("size") == size and hit.get("mtime_ns") == mtime:
            digest = str(hit.get("sha256"))
        else:
            digest = file_sha256(Path(path))
            cache[key] = {"size": size, "mtime_ns": mtime, "sha256": digest}
            changed = True
        entries.append([str(Path(path).relative_to(folder)), digest])
    if changed:
        try:
            write_atomic(store, json.dumps(cache, indent=1, sort_keys=True).encode())
        except OSError:
            pass  # a cache that cannot be written is hashed again next time; the key is the same
    result = hashlib.sha256(json.dumps(entries).encode()).hexdigest()
    _fingerprints[(str(folder), stats)] = result
    return result


def bank_folder(spec: dict[str, Any]) -> Path:
    return cache_root(spec) / "banks" / bank_key(spec)


def ensure_bank(spec: dict[str, Any]) -> Path:
    """The bank's folder, built first if no process has built it yet."""
    import fcntl

    folder = bank_folder(spec)
    if (folder / "bank.json").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it: wait for it
        if not (folder / "bank.json").is_file():
            _build(spec, folder)
    return folder


def _build(spec: dict[str, Any], folder: Path) -> None:
    import time

    from synthgen.image_codec import encode_png

    start = time.perf_counter()
    make = _maker(spec)
    count, batch = spec["count"], spec.get("batch_size", 1)
    for first in range(0, count, batch):
        indices = list(range(first, min(first + batch, count)))
        for i, image in zip(indices, make(indices)):
            tmp = folder / f".{i:05d}.png.tmp"
            tmp.write_bytes(encode_png(image, 6))
            os.replace(tmp, folder / f"{i:05d}.png")
    record = {**spec, "key": folder.name, "seconds": round(time.perf_counter() - start, 2)}
    tmp = folder / ".bank.json.tmp"
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, folder / "bank.json")  # last: the bank is complete


def _read_image(folder: Path, index: int, size: int) -> np.ndarray | None:
    """Bank image ``index`` as (size, size, 3) uint8 RGB, or None when it is missing or damaged."""
    import cv2

    try:
        data = np.fromfile(folder / f"{index:05d}.png", np.uint8)
    except OSError:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None or image.shape != (size, size, 3):
        return None
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def repair_bank(spec: dict[str, Any], index: int) -> None:
    """Make the batch of bank images that holds ``index`` again, under the bank's lock. Each image
    comes from its own seed and its batch is the one it was first made in, so the repaired image
    is the one the bank held (a lone image could differ in the last bit from a batched one)."""
    import fcntl

    from synthgen.image_codec import encode_png

    folder = bank_folder(spec)
    batch = spec.get("batch_size", 1)
    first = index - index % batch
    indices = list(range(first, min(first + batch, spec["count"])))
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _read_image(folder, index, spec["size"]) is not None:
            return  # another process repaired it while this one waited
        for i, image in zip(indices, _maker(spec)(indices)):
            tmp = folder / f".{i:05d}.png.tmp"
            tmp.write_bytes(encode_png(image, 6))
            os.replace(tmp, folder / f"{i:05d}.png")


def image_seed(spec: dict[str, Any], i: int) -> int:
    """The seed of bank image ``i``: a function of the bank's seed and ``i`` only."""
    return int(np.random.SeedSequence((spec["seed"], i)).generate_state(1)[0])


def _maker(spec: dict[str, Any]):
    """image indices -> (len, size, size, 3) uint8, in one model call, each image from its own seed."""
    import torch

    from synthgen.diffusion_models.models import BuiltinModel, load_pipeline

    size = spec["size"]

    def generators(indices: list[int], device: str) -> list:
        return [torch.Generator(device=device).manual_seed(image_seed(spec, i)) for i in indices]

    if spec["model"] == BUILTIN:
        model = BuiltinModel.load()
        textures = spec["textures"]
        return lambda indices: model.sample(
            [textures[i % len(textures)] for i in indices], (size, size), spec["steps"], generators(indices, model.device)
        )
    pipe = load_pipeline(spec["model"], "txt2img")

    def make(indices: list[int]) -> np.ndarray:
        out = pipe(
            prompt=[spec["prompt"]] * len(indices),
            height=size,
            width=size,
            num_inference_steps=spec["steps"],
            generator=generators(indices, str(pipe.device)),
            output_type="np",
        )
        return pipeline_images(out)

    return make


def draw(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """The ``diffusion`` background kind: ``{"kind": "diffusion", "bank": {...}, "index": i,
    "crop": [x, y, w, h]}``, a crop of bank image ``i`` resized to (width, height)."""
    import cv2

    bank = spec["bank"]
    folder = ensure_bank(bank)
    image = _read_image(folder, spec["index"], bank["size"])
    if image is None:  # a cached image damaged since the bank was built: made again, as it was made
        repair_bank(bank, spec["index"])
        image = _read_image(folder, spec["index"], bank["size"])
        if image is None:
            name = f"{spec['index']:05d}.png"
            raise DatasetError(f"{folder / name}: unreadable bank image, also when made again")
    x, y, w, h = spec["crop"]
    region = image[y : y + h, x : x + w]
    interpolation = cv2.INTER_AREA if w * h > width * height else cv2.INTER_CUBIC
    return cv2.resize(region, (width, height), interpolation=interpolation)


def sample_bank_background(bank: dict[str, Any], width: int, height: int, rng: np.random.Generator) -> dict[str, Any]:
    """A background description drawn from a bank: which image, and a crop with the output's aspect."""
    size = bank["size"]
    index = int(rng.integers(bank["count"]))
    scale = min(size / width, size / height) * float(rng.uniform(0.6, 1.0))
    cw, ch = max(1, int(width * scale)), max(1, int(height * scale))
    x, y = int(rng.integers(0, size - cw + 1)), int(rng.integers(0, size - ch + 1))
    return {"kind": "diffusion", "bank": bank, "index": index, "crop": [x, y, cw, ch]}
