"""synthgen: labelled synthetic training data for computer vision.

The Python API mirrors the command line::

    import synthgen
    config = synthgen.load_config("configs/text_words.yaml", ["num_samples=20"])
    synthgen.generate(config, "out/words", workers=2)
    sample = synthgen.make_sample(config, 7)          # one sample in memory, no files
    for sample in synthgen.read_dataset("out/words"):  # Samples back from a dataset
        ...
    synthgen.mix("configs/mix_words.yaml", "out/mix_words")  # blend with real data

``import synthgen`` stays light: these names, the stages and their heavy dependencies are imported
when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from synthgen.config.schema import RunConfig

__all__ = ["__version__", "generate", "generate_dataset", "load_config", "make_sample", "mix", "mix_datasets", "read_dataset"]


def load_config(path: Any, overrides: Any = ()) -> RunConfig:
    """Load and check a run config (``synthgen validate``): YAML path + ``key=value`` overrides."""
    from synthgen.config import load_run_config

    return load_run_config(path, list(overrides))


def _config(config: Any) -> RunConfig:
    from synthgen.config.schema import RunConfig

    return config if isinstance(config, RunConfig) else load_config(config)


def generate_dataset(
    config: Any, out: Any, workers: int = 1, executor: str = "process", overwrite: bool = False, progress: bool = False
):
    """Generate (or finish) a dataset (``synthgen generate``); returns its RunSummary.

    Args:
        config: a RunConfig from ``load_config``, or the path of a run config.
        out: the dataset folder.
        workers: worker processes (or Ray tasks at once).
        executor: ``serial``, ``process`` or ``ray``.
        overwrite: replace a dataset of another config found in ``out``.
        progress: show a progress bar on stderr.
    """
    from synthgen.engine import generate as run

    return run(_config(config), out, workers=workers, executor=executor, overwrite=overwrite, progress=progress)


def make_sample(config: Any, index: int):
    """Sample ``index`` of a run, in memory: a ``synthgen.types.Sample`` (image, labels, meta)."""
    from synthgen.engine import make_sample as make

    return make(_config(config), index)


def read_dataset(path: Any):
    """Iterate the ``Sample``s of a synthgen dataset folder, in index order."""
    from synthgen.dataset import read_dataset as read

    return read(path)


def mix_datasets(
    config: Any,
    out: Any,
    overrides: Any = (),
    overwrite: bool = False,
    progress: bool = False,
    workers: int = 1,
    executor: str = "process",
):
    """Blend synthetic and real datasets (``synthgen mix``); returns its MixSummary.

    Args:
        config: a MixConfig from ``synthgen.mix.load_mix_config``, or the path of a mix config.
        out: the output folder (``train/``, ``val/``, ``test/``, ``report.json``, ``class_balance.png``).
        overrides: ``key=value`` items, with a path.
        overwrite: replace a previous mix of another config found in ``out``.
        progress: show a progress bar on stderr.
        workers, executor: as ``synthgen generate``'s (``serial``, ``process``, ``ray``).
    """
    from synthgen.mix.config import MixConfig, load_mix_config
    from synthgen.mix.run import mix as run

    loaded = config if isinstance(config, MixConfig) else load_mix_config(config, list(overrides))
    return run(loaded, out, overwrite=overwrite, progress=progress, workers=workers, executor=executor)


# The package synthgen/mix/ (the mixer) has the name of the API function ``mix``. Python binds a
# subpackage as an attribute of its parent when the subpackage is first imported, so it (light: it
# imports no numpy) is imported here, before the name is bound to the function; later imports of it or
# of its modules (``from synthgen.mix import mix``) find it in sys.modules and leave the name alone.
# The diffusion stage is the package synthgen/diffusion/ (a config's ``generate:`` section), so
# ``synthgen.generate`` is only ever the API function.
importlib.import_module("synthgen.mix")

generate = generate_dataset
mix = mix_datasets
