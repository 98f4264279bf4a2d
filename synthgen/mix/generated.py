"""A ``generate`` source: samples of a run config, each made once.

The mix plans on a source's labels before it writes any pixel, and a sample's labels come only
with its pixels (they are derived from the render layers). So the source is generated first, as a
synthgen dataset in the mix's own folder (``OUT/.synthgen/sources/<source name>``), by
``synthgen generate``'s engine with the mix's executor and workers (resumable, with its progress
lines), as lossless PNG with the cheapest writer; the mix plans on its shard records and copies its
pixels. The samples were made twice before (once for the plan's labels, again for the pixels), in
the driver, one at a time. The folder is removed when the mix is complete.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from synthgen.config.schema import RayConfig, RunConfig
from synthgen.formats.base import ReadResult
from synthgen.lazy import ImageFile, LazySample
from synthgen.mix.config import SourceConfig
from synthgen.types import CategoryTable

FOLDER = Path(".synthgen") / "sources"  # under the mix's OUT
# the writers and the encoding do not change a sample: the cheapest writer (a run names one at
# least; COCO with RLE traces nothing), and PNG, which keeps the pixels exact
CACHE_OVERRIDES = ("outputs=[coco]", "writers.coco.segmentation=rle", "image.format=png", "image.png_compress_level=1")


def source_folder(out: Path, name: str) -> Path:
    return out / FOLDER / name


def source_run_config(config_path: str | Path, overrides: tuple[str, ...], ray: RayConfig = RayConfig()) -> RunConfig:
    """The run config a generate source's samples are made with (``CACHE_OVERRIDES`` and the mix's
    ``ray:`` settings added: neither changes a sample)."""
    from synthgen.config import load_run_config
    from synthgen.config.load import ConfigWarning

    with warnings.catch_warnings():  # the mix config's load has shown them once already
        warnings.simplefilter("ignore", ConfigWarning)
        return load_run_config(config_path, [*overrides, *CACHE_OVERRIDES, *ray_overrides(ray)])


def generated_categories(source: SourceConfig) -> CategoryTable:
    """A generate source's category table, from its run config (no sample made)."""
    return source_run_config(source.path, source.overrides).categories


def ray_overrides(ray: RayConfig) -> list[str]:
    """The mix's ``ray:`` settings as run-config overrides (they do not change a sample)."""
    out = [f"ray.shared_output={str(ray.shared_output).lower()}"]
    if ray.address is not None:
        out.append(f"ray.address={ray.address}")
    if ray.num_cpus is not None:
        out.append(f"ray.num_cpus={ray.num_cpus}")
    return out


def read_generated(
    config_path: str | Path,
    overrides: tuple[str, ...],
    folder: Path,
    workers: int = 1,
    executor: str = "process",
    progress: bool = False,
    ray: RayConfig = RayConfig(),
) -> ReadResult:
    """Generate (or finish generating) a run config's samples into ``folder``; their lazy samples.

    Args:
        config_path, overrides: the source's run config (checked when the mix config was loaded).
        folder: where the samples go: the mix's, which may hold only an earlier mix's samples of
            this source (a run config changed since is generated again).
        workers, executor: as ``synthgen generate``'s.
        progress: the run's progress lines (or bar).
        ray: the mix's ``ray:`` settings, for the ``ray`` executor.
    """
    from synthgen.engine.run import check_output, generate, iter_records, num_shards
    from synthgen.errors import DatasetError

    config = source_run_config(config_path, overrides, ray)
    try:
        check_output(config, folder, overwrite=False)
        overwrite = False
    except DatasetError:  # an earlier mix's samples of another run config (the folder is the mix's)
        overwrite = True
    generate(config, folder, workers=workers, executor=executor, overwrite=overwrite, progress=progress)
    samples = []
    for record in iter_records(folder, num_shards(config)):
        image, digest = str(folder / record["file_name"]), record["sha256"]
        # the record as the mix has always planned on: where the sample came from is its run config
        record = {**record, "file_name": "", "sha256": ""}
        origin = {"path": str(config_path), "id": record["index"]}
        # its file's digest, for the duplicate check, without reading the file again
        samples.append(LazySample(record, config.categories, ImageFile(image), origin, sha256=digest))
    return ReadResult(config.categories, samples, [])
