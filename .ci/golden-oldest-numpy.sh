#!/usr/bin/env bash
# Golden instances under the oldest supported numpy (pyproject: numpy>=1.24), in a virtual
# environment of its own, so that a numpy change cannot silently change a student's problem.
#
#   .ci/golden-oldest-numpy.sh                 # numpy 1.24.0, the oldest release with wheels for
#                                              # both Python 3.11 and psyq's numpy>=1.24 floor
#   PSYQ_OLDEST_NUMPY=1.24.4 .ci/golden-oldest-numpy.sh
#
# Installs psyq from this checkout (--no-deps) beside numpy==$PSYQ_OLDEST_NUMPY and psyq's other
# core dependencies, checks that the venv really has that numpy, then runs tests/test_golden.py
# (every bank template, byte for byte), tests/test_determinism.py (pinned draws), and the array
# forms of rounding, formatting and expression evaluation against their scalar references
# (tests/test_draws_arrays.py, tests/test_expr_arrays.py), which must hold bit for bit here too.
set -euo pipefail
cd "$(dirname "$0")/.."
NUMPY="${PSYQ_OLDEST_NUMPY:-1.24.0}"
PY="${PYTHON:-python3}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PY" -m venv "$work/venv"
vpy="$work/venv/bin/python"
"$vpy" -m pip install -q --disable-pip-version-check "numpy==$NUMPY" \
    "sympy>=1.12" "pyyaml>=6" "pint>=0.23" "typer>=0.12" "rich>=13" "platformdirs>=3" "pytest>=7" "hypothesis>=6"
"$vpy" -m pip install -q --disable-pip-version-check --no-deps .
got="$("$vpy" -c 'import numpy; print(numpy.__version__)')"
if [ "$got" != "$NUMPY" ]; then
  echo "golden-oldest-numpy: wanted numpy $NUMPY, the venv has $got" >&2
  exit 1
fi
echo "golden-oldest-numpy: $("$vpy" -V 2>&1), numpy $got, sympy $("$vpy" -c 'import sympy; print(sympy.__version__)')"

tests=(tests/test_determinism.py tests/test_draws_arrays.py tests/test_expr_arrays.py)
[ -f tests/test_golden.py ] && tests=(tests/test_golden.py "${tests[@]}")
# The venv's own pytest (not `python -m pytest`, which would also put the checkout first on sys.path)
"$work/venv/bin/pytest" -q -p no:cacheprovider "${tests[@]}"
