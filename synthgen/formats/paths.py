"""Where a dataset's files may be: the paths a dataset names (a COCO ``file_name``, a ``labels.tsv``
crop, a YOLO ``data.yaml`` folder, a shard record's ``file_name``) and the image files a reader
finds stay inside the dataset's folder.

A real dataset is outside data: a ``file_name`` of ``../../secret.png``, an absolute path or a link
out of the folder would otherwise have that file read, and copied into the mix's output.
"""

from __future__ import annotations

from pathlib import Path


class OutsideDataset(ValueError):
    """A path named by a dataset that leaves the dataset's folder; the message says how."""


def inside_dataset(root: Path, name: str, field: str, within: Path | None = None) -> Path:
    """``root / name``, for a path ``name`` read from the dataset's field ``field``, when it resolves
    (links followed) inside the dataset folder ``within`` (default ``root``; resolved too, so that a
    dataset folder reached through a link is read).

    Returns:
        ``root / name`` as joined (what the reader records as the sample's origin).

    Raises:
        OutsideDataset: ``name`` is absolute, climbs out with ``..`` or reaches a link out of ``root``;
            the message names ``field`` and how it leaves, never the value (outside data).
    """
    path = root / name
    base = (root if within is None else within).resolve()
    if _resolve(path, field).is_relative_to(base):
        return path
    if Path(name).is_absolute():
        how = "is an absolute path outside"
    elif ".." in Path(name).parts:
        how = "climbs out with '..' of"
    else:
        how = "reaches through a symbolic link outside"
    raise OutsideDataset(f"{field} {how} the dataset folder {base}; a dataset's files must lie inside it")


def found_inside(root: Path, path: Path, what: str = "image") -> Path:
    """``path``, a file a reader found under ``root`` (a folder listing, an image beside its label
    file), when it resolves inside ``root``; OutsideDataset for a symbolic link out of it."""
    if _resolve(path, what).is_relative_to(root.resolve()):
        return path
    raise OutsideDataset(
        f"{what} {path.name} is a symbolic link outside the dataset folder {root.resolve()}; "
        "a dataset's files must lie inside it"
    )


def _resolve(path: Path, field: str) -> Path:
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a loop of links (3.11: RuntimeError)
        raise OutsideDataset(f"{field} is not a usable path") from None
