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
DEBIAN_PACKAGES=(tesseract-ocr tesseract-ocr-eng libegl1 libegl-mesa0 libgl1-mesa-dri fonts-noto-core)

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

# torch first, pinned: unpinned, a dependency would pull the multi-GB CUDA build.
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing torch==2.13.0 (CPU build)"
  "${PIP[@]}" install "torch==2.13.0"
fi
echo "setup: installing synthgen with test extras"
"${PIP[@]}" install -e ".[test]"
echo "setup: done ($VENV)"
