"""Diffusion models for the generate stage: the built-in model, and users' checkpoints from a local
folder. Nothing is downloaded: checkpoints load with ``local_files_only``.

The built-in model is a small class-conditional ``UNet2DModel`` (``scripts/train_tiny_diffusion.py``
trains it on photographs and textures that ship in scikit-image's wheel and on synthgen's own
procedural backgrounds); its weights ship in ``synthgen/diffusion_models/assets/tiny_diffusion``. It is
convolutional, so it samples sizes above its native 32 px directly, without tiles or seams.

Checkpoints: Stable Diffusion 1.x/2.x and XL folders (txt2img, img2img, inpainting, the SDXL
refiner for img2img) and ControlNets; ``model_index.json``'s class decides which steps may use a
folder (``check_model``), and ``load_pipeline`` picks the SD or SDXL pipeline for the step's use.

Device: a step's ``device`` key (``auto``: CUDA in fp16 where present, else the CPU in fp32;
``cpu``; ``cuda``: worker ``i`` on ``cuda:(i % n)``; ``cuda:N``), checked at load. torch and
diffusers are imported here, when a step builds its model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import ConfigError

BUILTIN = "builtin"
BUILTIN_CLASSES = ("brick", "grass", "gravel", "photo", "paper", "blobs", "noise")

# what a checkpoint folder's model_index.json must name for each use
INPAINT_PIPELINES = ("StableDiffusionInpaintPipeline", "StableDiffusionXLInpaintPipeline")
IMAGE_PIPELINES = (
    "StableDiffusionPipeline",
    "StableDiffusionImg2ImgPipeline",
    "StableDiffusionXLPipeline",
    "StableDiffusionXLImg2ImgPipeline",
)
CONTROLNET_MODELS = ("ControlNetModel",)
# the SDXL refiner: an img2img pipeline with no first text encoder and a UNet conditioned on an
# aesthetic score instead of the target size; it can refine, and nothing else
REFINER = "StableDiffusionXLImg2ImgPipeline"


def builtin_dir() -> Path:
    return Path(str(resources.files("synthgen.diffusion_models") / "assets" / "tiny_diffusion"))


def device_and_dtype(device: str = "auto") -> tuple[str, Any]:
    """The torch device a step's model runs on and its dtype (float16 on a GPU, float32 on the CPU).

    Args:
        device: ``auto`` (a GPU where torch sees one, else the CPU), ``cpu``, ``cuda`` or ``cuda:N``.
            ``auto`` and ``cuda`` spread worker processes over the visible GPUs: worker ``i`` (its
            ordinal among the processes this run started; 0 in a serial run) takes ``cuda:(i % n)``.
    """
    import torch

    if device == "cpu" or (device == "auto" and not torch.cuda.is_available()):
        return "cpu", torch.float32
    if device in ("auto", "cuda"):
        return f"cuda:{worker_ordinal() % max(torch.cuda.device_count(), 1)}", torch.float16
    return device, torch.float16


def dtype_keyword() -> str:
    """The keyword diffusers' ``from_pretrained`` takes the dtype by: ``dtype`` from 0.40 (models;
    pipelines from 0.37), ``torch_dtype`` before (and deprecated since; 0.30.3 given ``dtype`` raised
    a TypeError for a ControlNet and silently loaded a pipeline in fp32)."""
    import diffusers

    major, minor = (int(part) for part in diffusers.__version__.split(".")[:2])
    return "dtype" if (major, minor) >= (0, 40) else "torch_dtype"


def worker_ordinal() -> int:
    """This process's ordinal among the worker processes its parent started (0 for the main one)."""
    import multiprocessing

    identity = getattr(multiprocessing.current_process(), "_identity", ())
    return int(identity[0]) - 1 if identity else 0


DEVICES = "auto | cpu | cuda | cuda:N"


def check_device(value: Any, key: str) -> str:
    """A step's ``device`` value, checked at load: a device torch can use here. ConfigError at ``key``."""
    import re

    if not isinstance(value, str) or not re.fullmatch(r"auto|cpu|cuda(:\d+)?", value):
        raise ConfigError(key, f"{value!r} is not a device ({DEVICES})")
    if value in ("auto", "cpu"):
        return value
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(key, f"{value}: torch sees no CUDA GPU on this machine (use cpu or auto)")
    count = torch.cuda.device_count()
    if ":" in value and int(value.split(":")[1]) >= count:
        raise ConfigError(key, f"{value}: this machine has {count} CUDA GPU(s), cuda:0..cuda:{count - 1}")
    return value


def check_model(
    value: str, key: str, kinds: tuple[str, ...], builtin_ok: bool = True, refiner_ok: bool = False
) -> str:
    """A step's ``model`` value, checked at load: ``builtin`` or a local diffusers folder whose
    ``model_index.json`` (or ``config.json``) names one of ``kinds``; an SDXL refiner only where
    ``refiner_ok`` (img2img). ConfigError at ``key``."""
    if value == BUILTIN:
        if not builtin_ok:
            raise ConfigError(key, "the built-in model cannot do this; give a local diffusers folder")
        return value
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise ConfigError(key, f"model folder not found: {value}")
    index = folder / "model_index.json"
    if not index.is_file():
        index = folder / "config.json"
    try:
        config = json.loads(index.read_text(encoding="utf-8"))
        name = config.get("_class_name")
    except (OSError, ValueError, AttributeError):
        raise ConfigError(key, f"{folder}: not a diffusers model folder (no readable model_index.json)") from None
    if name not in kinds:
        raise ConfigError(key, f"{folder} holds a {name}; this needs one of {', '.join(kinds)}")
    if name == REFINER and config.get("requires_aesthetics_score") and not refiner_ok:
        raise ConfigError(key, f"{folder} holds an SDXL refiner (aesthetic-score UNet), which can only refine")
    check_weights(folder, config if index.name == "model_index.json" else None, key)
    return str(folder)


def check_weights(folder: Path, model_index: dict | None, key: str) -> None:
    """Every model of a checkpoint folder has weight files that are whole, checked at load (a
    missing, truncated or corrupt file otherwise surfaced as a traceback in the first worker, after
    the run had started writing). A pipeline's models are the components of ``model_index.json``
    whose folder holds a ``config.json`` (tokenizers and schedulers hold none); a single model
    (``model_index`` None: a ControlNet) is the folder itself. Reads headers only. ConfigError at ``key``.
    """
    if model_index is None:
        models = [folder]
    else:
        models = []
        for name, value in sorted(model_index.items()):
            if name.startswith("_") or not isinstance(value, list) or len(value) != 2 or value[0] is None:
                continue  # a setting, or a component the pipeline runs without (safety_checker: [null, null])
            part = folder / name
            if not part.is_dir():
                raise ConfigError(key, f"{folder}: model_index.json names {name}, but there is no {name}/ folder")
            if (part / "config.json").is_file():
                models.append(part)
    for model in models:
        weights = sorted(p for p in model.iterdir() if p.suffix in (".safetensors", ".bin") and p.is_file())
        if not weights:
            raise ConfigError(key, f"{model}: no weight file (.safetensors or .bin)")
        for index_file in model.glob("*.index.json"):  # sharded weights: every shard must be there
            try:
                shards = set(json.loads(index_file.read_text(encoding="utf-8"))["weight_map"].values())
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                raise ConfigError(key, f"{index_file}: not a readable shard index") from None
            missing = sorted(str(s) for s in shards if not (model / str(s)).is_file())
            if missing:
                raise ConfigError(key, f"{index_file}: shard {missing[0]} not found")
        for path in weights:
            problem = weight_file_problem(path)
            if problem:
                raise ConfigError(key, f"{path}: {problem}")


MAX_SAFETENSORS_HEADER = 100 * 2**20  # the safetensors library's own limit


def weight_file_problem(path: Path) -> str | None:
    """Why a weight file cannot be loaded (read from its header and size alone), or None.

    A ``.safetensors`` file is an 8-byte little-endian header length, a JSON header giving each
    tensor's ``data_offsets`` in the data that follows, then the data: the file must be exactly as
    long as its header says. A ``.bin`` written by ``torch.save`` (a zip archive since torch 1.6)
    must have a readable central directory, which a truncated archive lacks."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if path.suffix == ".bin":
                if size == 0:
                    return "empty weight file"
                if head[:2] == b"PK":
                    import zipfile

                    zipfile.ZipFile(f).namelist()
                return None
            if len(head) < 8:
                return f"not a safetensors file ({size} bytes, shorter than its header)"
            length = int.from_bytes(head, "little")
            if length > min(size - 8, MAX_SAFETENSORS_HEADER):
                return f"not a safetensors file (its header length {length} runs past the file's {size} bytes)"
            header = json.loads(f.read(length).decode("utf-8"))
    except OSError as exc:
        return f"unreadable ({exc.strerror or type(exc).__name__})"
    except Exception as exc:  # noqa: BLE001  zipfile.BadZipFile, JSON and UTF-8 errors: never echo the content
        return f"corrupt weight file ({type(exc).__name__})"
    if not isinstance(header, dict):
        return "corrupt safetensors header (not a mapping)"
    end = 0
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        offsets = tensor.get("data_offsets") if isinstance(tensor, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(v, int) for v in offsets)):
            return "corrupt safetensors header (a tensor without data_offsets)"
        end = max(end, offsets[1])
    if 8 + length + end != size:
        return f"{size} bytes, but its header describes {8 + length + end} (truncated or corrupt)"
    return None


def check_controlnet_pair(model: str, controlnet: str, key: str) -> None:
    """A ControlNet must be made for its model's UNet: the same family (SDXL's added text-time
    embedding, or none) and cross-attention width. ConfigError at ``key`` (the controlnet's)."""

    def read(path: Path) -> dict:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ConfigError(key, f"cannot read {path}") from None

    unet, net = read(Path(model) / "unet" / "config.json"), read(Path(controlnet) / "config.json")

    def family(config: dict) -> str:
        return "Stable Diffusion XL" if config.get("addition_embed_type") == "text_time" else "Stable Diffusion 1.x/2.x"

    if family(unet) != family(net):
        raise ConfigError(key, f"{controlnet} is a ControlNet for {family(net)}; the model {model} is {family(unet)}")
    if unet.get("cross_attention_dim") != net.get("cross_attention_dim"):
        raise ConfigError(
            key,
            f"{controlnet} has cross-attention width {net.get('cross_attention_dim')}; "
            f"the model {model} has {unet.get('cross_attention_dim')}",
        )


def torch_generator(rng: np.random.Generator, device: str) -> Any:
    """One torch.Generator for one sample, seeded from the sample's own numpy generator."""
    import torch

    return torch.Generator(device=device).manual_seed(int(rng.integers(0, 2**63)))


@dataclass
class BuiltinModel:
    """The built-in class-conditional UNet and its noise schedule, on one device."""

    unet: Any
    scheduler_config: dict
    device: str
    dtype: Any

    @classmethod
    def load(cls, device: str = "auto") -> BuiltinModel:
        from diffusers import UNet2DModel

        from synthgen.tensors import torch_module

        torch_module()  # one thread per worker process, as every torch user in synthgen
        _quiet()
        device, dtype = device_and_dtype(device)
        folder = builtin_dir()
        unet = UNet2DModel.from_pretrained(folder, local_files_only=True, **{dtype_keyword(): dtype}).to(device).eval()
        config = json.loads((folder / "scheduler_config.json").read_text())
        return cls(unet, config, device, dtype)

    def _class_labels(self, classes: list[str]) -> Any:
        import torch

        return torch.tensor([BUILTIN_CLASSES.index(c) for c in classes], device=self.device)

    def sample(self, classes: list[str], size: tuple[int, int], steps: int, generator: Any) -> np.ndarray:
        """New images of the given classes, (N, H, W, 3) uint8, DDIM with ``steps`` steps.

        Args:
            generator: one torch.Generator for the whole batch, or a list of N, one per image, so
                that image ``k`` starts from its own noise whatever batch it is made in.
        """
        import torch
        from diffusers import DDIMScheduler

        scheduler = DDIMScheduler.from_config(self.scheduler_config)
        scheduler.set_timesteps(steps)
        if isinstance(generator, list):
            if len(generator) != len(classes):
                raise ValueError(f"{len(generator)} generators for {len(classes)} images")
            shape = (1, 3, size[0], size[1])
            x = torch.cat([torch.randn(shape, generator=g, device=self.device, dtype=self.dtype) for g in generator])
        else:
            shape = (len(classes), 3, size[0], size[1])
            x = torch.randn(shape, generator=generator, device=self.device, dtype=self.dtype)
        labels = self._class_labels(classes)
        with torch.no_grad():
            for t in scheduler.timesteps:
                noise = self.unet(x, t, class_labels=labels).sample
                x = scheduler.step(noise, t, x).prev_sample
        return to_uint8(x)

    def repaint(
        self, image: np.ndarray, keep: np.ndarray, cls: str, steps: int, jump: int, resample: int, generator: Any
    ):
        """RePaint (diffusers' RePaintScheduler): fill the pixels where ``keep`` is False.

        Args:
            image: (H, W, 3) uint8, at the working size.
            keep: (H, W) bool, the pixels to keep (known).
        """
        import torch
        from diffusers import RePaintScheduler

        scheduler = RePaintScheduler.from_config(self.scheduler_config)
        scheduler.set_timesteps(steps, jump, resample, self.device)
        known = from_uint8(image, self.device, self.dtype)
        mask = torch.from_numpy(keep.astype(np.float32))[None, None].to(self.device, self.dtype)
        x = torch.randn(known.shape, generator=generator, device=self.device, dtype=self.dtype)
        labels = self._class_labels([cls])
        t_last = scheduler.timesteps[0] + 1
        with torch.no_grad():
            for t in scheduler.timesteps:
                if t < t_last:
                    noise = self.unet(x, t, class_labels=labels).sample
                    x = scheduler.step(noise, t, x, known, mask, generator).prev_sample
                else:
                    x = scheduler.undo_step(x, t_last, generator)
                t_last = t
        return to_uint8(x)[0]

    def sdedit(self, image: np.ndarray, strength: float, cls: str, steps: int, generator: Any) -> np.ndarray:
        """SDEdit (img2img): noise the image to ``strength`` of the schedule, then denoise it."""
        import torch
        from diffusers import DDIMScheduler

        scheduler = DDIMScheduler.from_config(self.scheduler_config)
        scheduler.set_timesteps(steps)
        start = min(int(round(steps * strength)), steps)
        timesteps = scheduler.timesteps[steps - start :]
        x0 = from_uint8(image, self.device, self.dtype)
        if not len(timesteps):
            return image.copy()
        noise = torch.randn(x0.shape, generator=generator, device=self.device, dtype=self.dtype)
        x = scheduler.add_noise(x0, noise, timesteps[:1])
        labels = self._class_labels([cls])
        with torch.no_grad():
            for t in timesteps:
                x = scheduler.step(self.unet(x, t, class_labels=labels).sample, t, x).prev_sample
        return to_uint8(x)[0]

    def close(self) -> None:
        self.unet = None


def load_pipeline(folder: str, kind: str, controlnet: str | None = None, device: str = "auto") -> Any:
    """A diffusers pipeline from a local folder, on this machine's device (no download).

    Args:
        folder: a diffusers checkpoint folder (``model_index.json``); an SDXL class in it (``...XL...``)
            loads the SDXL pipeline for ``kind``.
        kind: ``txt2img``, ``inpaint``, ``img2img`` or ``controlnet``.
        controlnet: a ControlNetModel folder, for ``controlnet``.
        device: where it runs (``device_and_dtype``).
    """
    import diffusers

    from synthgen.tensors import torch_module

    torch_module()
    _quiet()
    device, dtype = device_and_dtype(device)
    name = json.loads((Path(folder) / "model_index.json").read_text())["_class_name"]
    xl = "XL" in name
    common: dict[str, Any] = {dtype_keyword(): dtype, "local_files_only": True}
    if xl:
        # SDXL pipelines watermark their output when the optional invisible-watermark package is
        # installed: the same config would give other pixels on another machine
        common["add_watermarker"] = False
    else:
        common["safety_checker"] = None
    if kind == "txt2img":
        cls = diffusers.StableDiffusionXLPipeline if xl else diffusers.StableDiffusionPipeline
        pipe = cls.from_pretrained(folder, **common)
    elif kind == "inpaint":
        cls = diffusers.StableDiffusionXLInpaintPipeline if xl else diffusers.StableDiffusionInpaintPipeline
        pipe = cls.from_pretrained(folder, **common)
    elif kind == "img2img":
        cls = diffusers.StableDiffusionXLImg2ImgPipeline if xl else diffusers.StableDiffusionImg2ImgPipeline
        pipe = cls.from_pretrained(folder, **common)
    else:
        net = diffusers.ControlNetModel.from_pretrained(controlnet, local_files_only=True, **{dtype_keyword(): dtype})
        cls = diffusers.StableDiffusionXLControlNetPipeline if xl else diffusers.StableDiffusionControlNetPipeline
        pipe = cls.from_pretrained(folder, controlnet=net, **common)
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _quiet() -> None:
    """No progress bars or info lines from diffusers and transformers on a run's stderr."""
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def pipeline_image(result: Any) -> np.ndarray:
    """(H, W, 3) uint8 of a diffusers pipeline's first image (asked for with ``output_type="np"``)."""
    return pipeline_images(result)[0]


def pipeline_images(result: Any) -> np.ndarray:
    """(N, H, W, 3) uint8 of a diffusers pipeline's images (asked for with ``output_type="np"``)."""
    return (np.clip(np.asarray(result.images), 0, 1) * 255).round().astype(np.uint8)


def to_uint8(x: Any) -> np.ndarray:
    """(N, 3, H, W) tensor in -1..1 -> (N, H, W, 3) uint8."""
    arr = ((x.float().clamp(-1, 1) + 1) * 127.5).round().cpu().numpy().astype(np.uint8)
    return np.ascontiguousarray(arr.transpose(0, 2, 3, 1))


def from_uint8(image: np.ndarray, device: str, dtype: Any) -> Any:
    """(H, W, 3) uint8 -> (1, 3, H, W) tensor in -1..1."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float() / 127.5 - 1.0
    return x[None].to(device=device, dtype=dtype)
