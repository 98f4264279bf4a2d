#!/usr/bin/env bash
# Set up synthgen for development on a fresh machine: Debian libraries (when root), a virtualenv,
# a CPU build of torch (before anything that depends on it), then synthgen with its test extras.
# Idempotent: the Makefile runs it only when pyproject.toml or this script changed.
set -euo pipefail

VENV="${1:-.venv}"
PYTHON="${PYTHON:-python3}"
# tesseract: the independent reader that the OCR legibility tests use.
# libegl1 libegl-mesa0 libgl1-mesa-dri: headless OpenGL (EGL, Mesa's llvmpipe on a CPU) for mesh3d.
# fonts-noto-core: Arabic, Hebrew, Devanagari and Thai faces for configs/text_scripts.yaml and its tests.
# The other fonts-*: the faces docs/ocr.md recommends, on which the test of unicase detection runs
# (Humor Sans and fonts-bwht draw lower case as capitals); ~13 s, ~40 MB.
# libgl1: OpenCV's desktop build, which Ultralytics (a test dependency) installs beside the headless one.
DEBIAN_PACKAGES=(tesseract-ocr tesseract-ocr-eng libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 fonts-noto-core
  fonts-liberation fonts-urw-base35 fonts-dejavu-core fonts-sil-andika fonts-sil-gentium fonts-comic-neue
  fonts-dustin fonts-beteckna fonts-dkg-handwriting fonts-breip fonts-femkeklaver fonts-rufscript fonts-sjfonts
  fonts-humor-sans fonts-bwht)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages (tests that need them are skipped): ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install ${missing[*]}" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# torch and torchvision first, pinned as a pair (torchvision requires one exact torch): unpinned,
# a dependency would pull whatever build of torch its resolver likes. No CPU torchvision can be had
# from the package registries this machine reaches (PyPI's torchvision links libc10_cuda.so, and the
# only CPU torch wheel here, 2.13.0+cpu, has none), so this is PyPI's build of both, which runs on
# the CPU (and on a GPU where there is one): ~1 min from the local mirror, ~5 GB installed.
TORCH_PIN="torch==2.14.1"
TORCHVISION_PIN="torchvision==0.29.1"
if ! "$VENV/bin/python" - "$TORCH_PIN" "$TORCHVISION_PIN" >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version
want = {pin.split("==")[0]: pin.split("==")[1] for pin in sys.argv[1:]}
sys.exit(any(version(name).split("+")[0] != v for name, v in want.items()))
PY
then
  echo "setup: installing $TORCH_PIN $TORCHVISION_PIN"
  "${PIP[@]}" install "$TORCH_PIN" "$TORCHVISION_PIN"
fi
# The distribution was called synthgen before it became synthgen-cv: a .venv set up then holds an
# editable "synthgen" whose uninstall would later take the synthgen command with it; remove it first.
if "${PIP[@]}" show synthgen >/dev/null 2>&1; then
  echo "setup: removing the old synthgen distribution (now synthgen-cv)"
  "${PIP[@]}" uninstall -y synthgen
fi
echo "setup: installing synthgen-cv with test extras"
"${PIP[@]}" install -e ".[test]"
echo "setup: done ($VENV)"
