#!/usr/bin/env python
"""Build synthgen's default font set (synthgen/text/assets/fonts/) from Debian font packages.

Every face comes from a pinned Debian bookworm package (``apt-get download PKG=VERSION``, unpacked
with ``dpkg-deb -x``; nothing is installed), so two runs of this script give the same bytes on any
machine that reaches Debian's mirror. Per family the manifest records its class (serif, sans, mono,
condensed, display, handwriting), its sampling weight, its licence, the source package and version,
and each file's sha256.

Faces are subset with fontTools to the Latin characters synthgen's default corpus and string mixes
draw (``SUBSET_UNICODES``) only where the licence allows a modified version under the same name: a
face whose licence reserves a font name (OFL "with Reserved Font Name ...", found in the package's
copyright file or the font's own name table) is copied whole, and so is any family marked
``whole`` (DejaVu: the preview and the non-Latin scenes use its other scripts). Each package's
Debian copyright file (and the common licence texts it refers to) goes to ``licenses/``.

Usage (from the repository root; needs apt-get, dpkg-deb and fontTools)::

    python scripts/pack_fonts.py                 # rebuild synthgen/text/assets/fonts/
    python scripts/pack_fonts.py --check         # verify the shipped files against the manifest
    python scripts/pack_fonts.py --tables        # recompute each face's charset, unicase and kern

Each face's entry also holds what synthgen would otherwise read from the file at every start-up:
``charset`` (the code points its cmap maps to a real glyph, ``fonts.read_charset``, as hex ranges),
``unicase`` (whether it draws lower case as capitals, ``fonts.measure_unicase``) and ``kern``
(whether it has a 'kern' table, the only kerning Pillow's basic layout applies).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "synthgen" / "text" / "assets" / "fonts"
CLASSES = ("serif", "sans", "mono", "condensed", "display", "handwriting")

# Basic Latin, Latin-1 and Latin Extended-A (the corpus' accented words), general punctuation
# (dashes, curly quotes, bullet, ellipsis, per mille, guillemets), euro, trade mark, minus.
SUBSET_UNICODES = (
    list(range(0x20, 0x7F))
    + list(range(0xA0, 0x180))
    + list(range(0x2010, 0x2028))
    + [0x2030, 0x2039, 0x203A, 0x20AC, 0x2122, 0x2212]
)


@dataclass(frozen=True)
class Family:
    """One family of the set: where its faces come from and how it is drawn."""

    name: str
    cls: str
    package: str
    version: str
    licence: str
    files: tuple[str, ...]  # paths inside the package
    weight: float = 1.0  # sampling weight of the whole family (split evenly over its faces)
    whole: bool = False  # never subset (beyond what the licence says)


F = "usr/share/fonts/truetype"
O = "usr/share/fonts/opentype"
FAMILIES = (
    # serif
    Family(
        "DejaVu Serif",
        "serif",
        "fonts-dejavu-core",
        "2.37-6",
        "Bitstream-Vera",
        (f"{F}/dejavu/DejaVuSerif.ttf",),
        whole=True,
    ),
    Family(
        "Liberation Serif",
        "serif",
        "fonts-liberation",
        "1:1.07.4-11",
        "GPL-2-with-font-exception",
        (f"{F}/liberation/LiberationSerif-Regular.ttf", f"{F}/liberation/LiberationSerif-Bold.ttf"),
    ),
    Family(
        "Noto Serif",
        "serif",
        "fonts-noto-core",
        "20201225-1",
        "OFL-1.1",
        (f"{F}/noto/NotoSerif-Regular.ttf", f"{F}/noto/NotoSerif-Italic.ttf"),
    ),
    Family(
        "EB Garamond",
        "serif",
        "fonts-ebgaramond",
        "0.016+git20210310.42d4f9f2-1",
        "OFL-1.1",
        (f"{O}/ebgaramond/EBGaramond12-Regular.otf",),
    ),
    Family(
        "Linux Libertine",
        "serif",
        "fonts-linuxlibertine",
        "5.3.0-6",
        "OFL-1.1",
        (f"{O}/linux-libertine/LinLibertine_R.otf",),
    ),
    Family(
        "Caladea",
        "serif",
        "fonts-crosextra-caladea",
        "20200211-1",
        "Apache-2.0",
        (f"{F}/crosextra/Caladea-Regular.ttf", f"{F}/crosextra/Caladea-Bold.ttf"),
    ),
    Family(
        "Roboto Slab",
        "serif",
        "fonts-roboto-slab",
        "1.100263+20170512-2",
        "Apache-2.0",
        (f"{O}/roboto/slab/RobotoSlab-Regular.otf",),
    ),
    Family("Vollkorn", "serif", "fonts-vollkorn", "4.105-2", "OFL-1.1", (f"{F}/vollkorn/Vollkorn-Regular.ttf",)),
    Family(
        "Old Standard",
        "serif",
        "fonts-oldstandard",
        "2.2really-4",
        "OFL-1.1",
        (f"{F}/fonts-oldstandard/OldStandard-Regular.ttf",),
    ),
    Family(
        "Goudy Bookletter 1911",
        "serif",
        "fonts-goudybookletter",
        "2010.07.03-6",
        "public-domain",
        (f"{O}/sortsmill/GoudyBookletter1911.otf",),
    ),
    Family("Prociono", "serif", "fonts-prociono", "2.3-6", "public-domain", (f"{O}/fonts-prociono/Prociono.otf",)),
    Family("GFS Didot", "serif", "fonts-gfs-didot", "1.1-7", "OFL-1.1", (f"{O}/didot/GFSDidot.otf",)),
    # sans
    Family(
        "DejaVu Sans",
        "sans",
        "fonts-dejavu-core",
        "2.37-6",
        "Bitstream-Vera",
        (f"{F}/dejavu/DejaVuSans.ttf", f"{F}/dejavu/DejaVuSans-Bold.ttf"),
        whole=True,
    ),
    Family(
        "Liberation Sans",
        "sans",
        "fonts-liberation",
        "1:1.07.4-11",
        "GPL-2-with-font-exception",
        (f"{F}/liberation/LiberationSans-Regular.ttf", f"{F}/liberation/LiberationSans-Bold.ttf"),
    ),
    Family(
        "Noto Sans",
        "sans",
        "fonts-noto-core",
        "20201225-1",
        "OFL-1.1",
        (f"{F}/noto/NotoSans-Regular.ttf", f"{F}/noto/NotoSans-Bold.ttf"),
    ),
    Family(
        "Open Sans",
        "sans",
        "fonts-open-sans",
        "1.11-2",
        "Apache-2.0",
        (f"{F}/open-sans/OpenSans-Regular.ttf", f"{F}/open-sans/OpenSans-Semibold.ttf"),
    ),
    Family(
        "Lato", "sans", "fonts-lato", "2.0-2.1", "OFL-1.1", (f"{F}/lato/Lato-Regular.ttf", f"{F}/lato/Lato-Bold.ttf")
    ),
    Family(
        "Roboto",
        "sans",
        "fonts-roboto-unhinted",
        "2:0~20170802-3",
        "Apache-2.0",
        (f"{F}/roboto/unhinted/RobotoTTF/Roboto-Regular.ttf", f"{F}/roboto/unhinted/RobotoTTF/Roboto-Bold.ttf"),
    ),
    Family("Cantarell", "sans", "fonts-cantarell", "0.303.1-1", "OFL-1.1", (f"{O}/cantarell/Cantarell-Regular.otf",)),
    Family("Cabin", "sans", "fonts-cabin", "1.5-3", "OFL-1.1", (f"{O}/cabin/Cabin-Regular.otf",)),
    Family("Inter", "sans", "fonts-inter", "4.0~beta7+ds-1", "OFL-1.1", (f"{O}/inter/Inter-Regular.otf",)),
    Family("Go", "sans", "fonts-go", "0~20170330-1", "BSD-3-clause", ("usr/share/fonts/fonts-go/Go-Regular.ttf",)),
    Family("Tuffy", "sans", "fonts-tuffy", "20120614-2.1", "public-domain", (f"{F}/tuffy/Tuffy.ttf",)),
    Family(
        "League Spartan",
        "sans",
        "fonts-league-spartan",
        "2.210-1",
        "OFL-1.1",
        (f"{O}/league-spartan/LeagueSpartan-Bold.otf",),
    ),
    Family("B612", "sans", "fonts-b612", "1.008-3", "OFL-1.1", (f"{O}/b612/B612-Regular.otf",)),
    Family("Okolaks", "sans", "fonts-okolaks", "0.6.0-2", "OFL-1.1", (f"{F}/okolaks/okolaksRegular.ttf",)),
    Family(
        "Averia Sans GWF",
        "sans",
        "fonts-averia-sans-gwf",
        "1.00-2.1",
        "OFL-1.1",
        (f"{F}/averia-gwf/AveriaSansGWF-Regular.ttf",),
    ),
    # mono
    Family(
        "DejaVu Sans Mono",
        "mono",
        "fonts-dejavu-core",
        "2.37-6",
        "Bitstream-Vera",
        (f"{F}/dejavu/DejaVuSansMono.ttf",),
        whole=True,
    ),
    Family(
        "Liberation Mono",
        "mono",
        "fonts-liberation",
        "1:1.07.4-11",
        "GPL-2-with-font-exception",
        (f"{F}/liberation/LiberationMono-Regular.ttf",),
    ),
    Family(
        "Noto Sans Mono", "mono", "fonts-noto-mono", "20201225-1", "OFL-1.1", (f"{F}/noto/NotoSansMono-Regular.ttf",)
    ),
    Family("Inconsolata", "mono", "fonts-inconsolata", "001.010-6", "OFL-1.0", (f"{F}/inconsolata/Inconsolata.otf",)),
    Family("Hack", "mono", "fonts-hack", "3.003-3", "MIT-and-Bitstream-Vera", (f"{F}/hack/Hack-Regular.ttf",)),
    Family(
        "JetBrains Mono",
        "mono",
        "fonts-jetbrains-mono",
        "2.242+ds-3",
        "OFL-1.1",
        (f"{F}/jetbrains-mono/JetBrainsMono-Regular.ttf",),
    ),
    Family("Fira Code", "mono", "fonts-firacode", "6.2-2", "OFL-1.1", (f"{F}/firacode/FiraCode-Regular.ttf",)),
    Family(
        "Anonymous Pro", "mono", "fonts-anonymous-pro", "1.003-4", "OFL-1.1", (f"{F}/anonymous-pro/Anonymous Pro.ttf",)
    ),
    Family(
        "Courier Prime",
        "mono",
        "fonts-courier-prime",
        "0+git20190115-3",
        "OFL-1.1",
        (f"{O}/courier-prime/Courier Prime.otf",),
    ),
    Family("mononoki", "mono", "fonts-mononoki", "1.5+dfsg-1", "OFL-1.1", (f"{F}/mononoki/mononoki-Regular.ttf",)),
    Family("Go Mono", "mono", "fonts-go", "0~20170330-1", "BSD-3-clause", ("usr/share/fonts/fonts-go/Go-Mono.ttf",)),
    # condensed
    Family(
        "Liberation Sans Narrow",
        "condensed",
        "fonts-liberation",
        "1:1.07.4-11",
        "GPL-2-with-font-exception",
        (f"{F}/liberation/LiberationSansNarrow-Regular.ttf", f"{F}/liberation/LiberationSansNarrow-Bold.ttf"),
    ),
    Family(
        "Roboto Condensed",
        "condensed",
        "fonts-roboto-unhinted",
        "2:0~20170802-3",
        "Apache-2.0",
        (f"{F}/roboto/unhinted/RobotoCondensed-Regular.ttf", f"{F}/roboto/unhinted/RobotoCondensed-Bold.ttf"),
    ),
    Family(
        "Open Sans Condensed",
        "condensed",
        "fonts-open-sans",
        "1.11-2",
        "Apache-2.0",
        (f"{F}/open-sans/OpenSans-CondBold.ttf",),
    ),
    Family(
        "Yanone Kaffeesatz",
        "condensed",
        "fonts-yanone-kaffeesatz",
        "2.0+git20211102+ds-1",
        "OFL-1.1",
        (f"{O}/yanone-kaffeesatz/YanoneKaffeesatz-Regular.otf",),
    ),
    Family(
        "Bebas Neue", "condensed", "fonts-bebas-neue", "3.0-2", "OFL-1.1", (f"{O}/bebas-neue/BebasNeue-Regular.otf",)
    ),
    Family(
        "PT Sans Narrow",
        "condensed",
        "fonts-paratype",
        "20181108-3",
        "ParaType-Free-Font-License",
        (f"{F}/paratype/PTN57F.ttf",),
    ),
    # display
    Family("Lobster", "display", "fonts-lobster", "2.0-2.1", "OFL-1.1", (f"{O}/lobster/lobster.otf",)),
    Family("Comfortaa", "display", "fonts-comfortaa", "3.001-3", "OFL-1.1", (f"{F}/comfortaa/Comfortaa-Regular.ttf",)),
    Family(
        "Leckerli One",
        "display",
        "fonts-leckerli-one",
        "20120409-1",
        "OFL-1.1",
        (f"{F}/leckerli-one/LeckerliOne-Regular.ttf",),
    ),
    Family(
        "Cherry Bomb",
        "display",
        "fonts-cherrybomb",
        "3.00+dfsg-2",
        "OFL-1.1",
        (f"{O}/cherrybomb/CherryBomb-Regular.otf",),
    ),
    Family(
        "Blankenburg", "display", "fonts-blankenburg", "0.1-3", "OFL-1.1", (f"{F}/blankenburg/Blankenburg_UNZ1A.ttf",)
    ),
    Family(
        "Quicksand", "display", "fonts-quicksand", "0.2016-2.1", "OFL-1.1", (f"{F}/quicksand/Quicksand-Regular.ttf",)
    ),
    Family("Radis Sans", "display", "fonts-radisnoir", "0.9b-5", "OFL-1.1", (f"{O}/radisnoir/RadisSans-medium.otf",)),
    Family(
        "Averia GWF", "display", "fonts-averia-gwf", "1.00-3.1", "OFL-1.1", (f"{F}/averia-gwf/AveriaGWF-Regular.ttf",)
    ),
    Family("Stay Puft", "display", "fonts-staypuft", "0.04-10", "LGPL-2", (f"{F}/staypuft/StayPuft.ttf",)),
    # handwriting
    Family(
        "Comic Neue", "handwriting", "fonts-comic-neue", "2.51-4", "OFL-1.1", (f"{O}/comic-neue/ComicNeue-Regular.otf",)
    ),
    Family(
        "Dancing Script",
        "handwriting",
        "fonts-dancingscript",
        "1.2-2",
        "OFL-1.1",
        (f"{O}/dancingscript/DancingScript-Regular.otf",),
    ),
    Family("Kristi", "handwriting", "fonts-kristi", "20101220-1", "OFL-1.1", (f"{F}/kristi/Kristi.ttf",)),
    Family(
        "dkg handwriting", "handwriting", "fonts-dkg-handwriting", "0.17-1", "OFL-1.1", (f"{F}/fifthhorseman/dkg.ttf",)
    ),
    Family(
        "Tomson Talks", "handwriting", "fonts-tomsontalks", "1.1-9", "OFL-1.1", (f"{F}/tomsontalks/TomsonTalks.ttf",)
    ),
    Family(
        "Ecolier court",
        "handwriting",
        "fonts-ecolier-court",
        "1.00-6",
        "OFL-1.1",
        (f"{F}/ecolier-court/Ecolier-court.ttf",),
    ),
    Family("Breip", "handwriting", "fonts-breip", "1:0.5.1-3", "OFL-1.0", (f"{F}/breip/Breip.ttf",)),
    Family(
        "Femke Klaver",
        "handwriting",
        "fonts-femkeklaver",
        "1.0-4",
        "CC-BY-SA-3.0",
        (f"{F}/femkeklaver/femkeklaver.ttf",),
    ),
    Family("Isabella", "handwriting", "fonts-isabella", "1.202-4", "LGPL-2+", (f"{F}/isabella/Isabella.ttf",)),
    # these two draw lower case as capitals: kept so that the outline check (fonts.is_unicase) is
    # exercised on the shipped set; scenes keep lower-case text off them
    Family(
        "Humor Sans",
        "handwriting",
        "fonts-humor-sans",
        "1.0-4",
        "OFL-1.1",
        (f"{F}/humor-sans/Humor-Sans.ttf",),
        weight=0.5,
    ),
    Family(
        "Because We Create",
        "handwriting",
        "fonts-bwht",
        "0.1-3",
        "OFL-1.1",
        (f"{O}/bwht/BecauseWeCreate-Regular.otf",),
        weight=0.5,
    ),
)

# a licence that reserves the font's name for unmodified copies: OFL's "with Reserved Font Name",
# ParaType's "may not distribute modified version of the font under the Original name"
RFN = re.compile(
    r"with\s+Reserved\s+Font\s+Names?\b|modified\s+versions?\s+of\s+the\s+font\s+under\s+the\s+original\s+name",
    re.IGNORECASE,
)
COMMON_LICENCE = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9.+-]+)")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unpack(package: str, version: str, cache: Path) -> Path:
    """The unpacked tree of ``package`` at ``version`` (downloaded once into ``cache``)."""
    tree = cache / f"{package}_{version.replace(':', '%3a')}"
    if tree.is_dir():
        return tree
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=debs, check=True, capture_output=True)
    (deb,) = debs.glob(f"{package}_*.deb")
    tmp = tree.with_suffix(".tmp")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
    tmp.rename(tree)
    deb.unlink()
    return tree


def reserved_name(font_path: Path, copyright_text: str) -> bool:
    """True when the face's licence reserves its name (then no modified copy may keep it)."""
    from fontTools.ttLib import TTFont

    if RFN.search(copyright_text):
        return True
    with TTFont(str(font_path), lazy=True) as font:
        names = " ".join(str(r) for r in font["name"].names if r.nameID in (0, 13))
    return bool(RFN.search(names))


def subset(src: Path, dst: Path) -> None:
    from fontTools import subset as ft_subset

    options = ft_subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.layout_features = ["*"]
    options.glyph_names = False
    options.hinting = True
    font = ft_subset.load_font(str(src), options)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=SUBSET_UNICODES)
    subsetter.subset(font)
    # options.recalc_timestamp stays False: 'head'.modified keeps the source's date, so every run
    # writes the same bytes
    ft_subset.save_font(font, str(dst), options)


def build(cache: Path) -> dict:
    if OUT.exists():
        for old in OUT.iterdir():
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
    OUT.mkdir(parents=True, exist_ok=True)
    licences = OUT / "licenses"
    licences.mkdir()
    families = []
    for fam in FAMILIES:
        if fam.cls not in CLASSES:
            raise SystemExit(f"{fam.name}: unknown class {fam.cls}")
        tree = unpack(fam.package, fam.version, cache)
        copyright_file = tree / "usr" / "share" / "doc" / fam.package / "copyright"
        text = copyright_file.read_text(errors="replace")
        shutil.copyfile(copyright_file, licences / f"{fam.package}.txt")
        for name in sorted(set(COMMON_LICENCE.findall(text))):
            common = Path("/usr/share/common-licenses") / name.rstrip(".'")
            if common.is_file():
                shutil.copyfile(common, licences / common.name)
        faces = []
        for rel in fam.files:
            src = tree / rel
            dst = OUT / src.name.replace(" ", "")
            reserved = reserved_name(src, text)
            if fam.whole or reserved:
                shutil.copyfile(src, dst)
                how = "whole (reserved font name)" if reserved else "whole"
            else:
                subset(src, dst)
                how = "subset Latin"
            faces.append(
                {
                    "file": dst.name,
                    "source": "/" + rel,
                    "sha256": sha256(dst),
                    "bytes": dst.stat().st_size,
                    "packed": how,
                    **face_tables(dst),
                }
            )
        families.append(
            {
                "family": fam.name,
                "class": fam.cls,
                "weight": fam.weight,
                "licence": fam.licence,
                "licence_file": f"licenses/{fam.package}.txt",
                "package": fam.package,
                "version": fam.version,
                "faces": faces,
            }
        )
    total = sum(f["bytes"] for fam in families for f in fam["faces"])
    manifest = {
        "about": "synthgen's default fonts, built by scripts/pack_fonts.py from Debian bookworm packages",
        "subset_unicodes": "U+0020-007E, U+00A0-017F, U+2010-2027, U+2030, U+2039-203A, U+20AC, U+2122, U+2212",
        "total_bytes": total,
        "families": families,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest


def face_tables(path: Path) -> dict:
    """What synthgen reads from a face at start-up, measured once here: ``charset``, ``unicase`` and
    ``kern`` (whether it has a 'kern' table, ``fonts.has_kern_table``)."""
    sys.path.insert(0, str(ROOT))
    from fontTools.ttLib import TTFont

    from synthgen.text import fonts

    with TTFont(str(path), lazy=True) as font:
        kern = "kern" in font
    return {
        "charset": fonts.format_ranges(fonts.read_charset(str(path))),
        "unicase": fonts.measure_unicase(str(path)),
        "kern": kern,
    }


def write_tables() -> dict:
    """Recompute every face's ``face_tables`` into the shipped manifest (the font files unchanged)."""
    manifest = json.loads((OUT / "manifest.json").read_text())
    for fam in manifest["families"]:
        for face in fam["faces"]:
            face.update(face_tables(OUT / face["file"]))
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest


def check() -> int:
    manifest = json.loads((OUT / "manifest.json").read_text())
    bad = 0
    for fam in manifest["families"]:
        for face in fam["faces"]:
            path = OUT / face["file"]
            if not path.is_file() or sha256(path) != face["sha256"]:
                print(f"{face['file']}: missing or changed", file=sys.stderr)
                bad += 1
            elif {k: face.get(k) for k in ("charset", "unicase", "kern")} != face_tables(path):
                print(f"{face['file']}: charset, unicase or kern differs from the file (run --tables)", file=sys.stderr)
                bad += 1
        if not (OUT / fam["licence_file"]).is_file():
            print(f"{fam['licence_file']}: missing", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "synthgen-fontdebs")
    ap.add_argument("--check", action="store_true", help="verify the shipped files against the manifest")
    ap.add_argument("--tables", action="store_true", help="recompute each face's charset, unicase and kern entries")
    args = ap.parse_args()
    if args.check:
        return check()
    if args.tables:
        write_tables()
        return check()
    manifest = build(args.cache)
    n_faces = sum(len(f["faces"]) for f in manifest["families"])
    by_class = {c: sum(f["class"] == c for f in manifest["families"]) for c in CLASSES}
    print(
        f"{len(manifest['families'])} families, {n_faces} faces, {manifest['total_bytes'] / 2**20:.1f} MiB; {by_class}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
