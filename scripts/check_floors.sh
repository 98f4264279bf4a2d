#!/usr/bin/env bash
# Test the generate stage at the lowest versions pyproject.toml allows: build a fresh venv with
# diffusers, transformers and huggingface_hub at their floors (or at the versions given), the rest
# of synthgen's dependencies at whatever pip picks, and run tests/diffusion in it.
#
#   bash scripts/check_floors.sh                      # the floors of the generate extra (pyproject.toml)
#   bash scripts/check_floors.sh 0.30.3 4.40.2 0.23.5 # diffusers transformers huggingface_hub
#
# Environment:
#   FLOOR_VENV   where the venv is built (default: $TMPDIR/synthgen-floors, rebuilt each run)
#   PYTHON       the interpreter it is built from (default: python3)
#   TORCH_SPEC   the torch to install (default: the CPU wheel in pip's find-links if there is one,
#                else "torch"); torch's own floor is not what this checks
#   PYTEST_ARGS  passed on to pytest (default: -q -x -p no:cacheprovider)
#
# synthgen itself is not installed: the tests run from this checkout (PYTHONPATH), so nothing is
# written into the tree. Exit status: pytest's (0: the floors hold), or 3 when the venv cannot be built.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${FLOOR_VENV:-${TMPDIR:-/tmp}/synthgen-floors}"
PYTHON="${PYTHON:-python3}"

floor() {  # the ">=" version of a package in the generate extra
  "$PYTHON" - "$ROOT/pyproject.toml" "$1" <<'EOF'
import re, sys, tomllib
extra = tomllib.load(open(sys.argv[1], "rb"))["project"]["optional-dependencies"]["generate"]
for spec in extra:
    m = re.fullmatch(rf"{re.escape(sys.argv[2])}\s*>=\s*([\w.]+).*", spec)
    if m:
        print(m.group(1))
        break
else:
    sys.exit(f"{sys.argv[2]} has no >= floor in the generate extra")
EOF
}

DIFFUSERS="${1:-$(floor diffusers)}"
TRANSFORMERS="${2:-$(floor transformers)}"
HUB="${3:-$(floor huggingface_hub)}"
if [ -z "${TORCH_SPEC:-}" ]; then
  TORCH_SPEC="torch"
  for dir in ${PIP_FIND_LINKS:-}; do
    wheel="$(ls "$dir"/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -1 || true)"
    [ -n "$wheel" ] && TORCH_SPEC="$wheel"
  done
fi

# synthgen's own dependencies and the test runner, read from pyproject.toml
mapfile -t DEPS < <("$PYTHON" - "$ROOT/pyproject.toml" <<'EOF'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
extras = project["optional-dependencies"]
wanted = [*project["dependencies"], *extras["3d"], "pytest>=7"]
for spec in wanted:
    name = spec.split(">")[0].split("=")[0].split("<")[0].strip()
    if name not in ("diffusers", "transformers", "huggingface_hub"):
        print(spec)
EOF
)

echo "floors: diffusers==$DIFFUSERS transformers==$TRANSFORMERS huggingface_hub==$HUB ($TORCH_SPEC) in $VENV"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
if ! "${PIP[@]}" install "$TORCH_SPEC" "${DEPS[@]}" "safetensors>=0.4" \
    "diffusers==$DIFFUSERS" "transformers==$TRANSFORMERS" "huggingface_hub==$HUB"; then
  echo "check_floors: cannot build a venv with diffusers==$DIFFUSERS transformers==$TRANSFORMERS" \
       "huggingface_hub==$HUB (pip's resolver says why above)" >&2
  exit 3
fi
"$VENV/bin/python" -c "import diffusers, transformers, huggingface_hub, torch
print('installed: diffusers', diffusers.__version__, 'transformers', transformers.__version__,
      'huggingface_hub', huggingface_hub.__version__, 'torch', torch.__version__)"
cd "$ROOT"
# shellcheck disable=SC2086
PYTHONPATH="$ROOT" "$VENV/bin/python" -m pytest tests/diffusion ${PYTEST_ARGS:--q -x -p no:cacheprovider}
