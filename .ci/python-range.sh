#!/usr/bin/env bash
# The test suite on the oldest and the newest Python that psyq claims (pyproject's requires-python)
# and that this machine carries, each in a virtual environment of its own.  The README's test
# command (run by .ci/run with the default Python) stays the reference; this adds the two ends of
# the range, so a break on either lands seen.
#
# Interpreters are looked up the way pyenv lays them out: $PYENV_ROOT/versions/X.Y.Z/bin/python
# (PYENV_ROOT defaults to ~/.pyenv).  Where an end of the range is absent, or is the default
# Python itself, this says it was skipped and why, and goes on.
#
#   .ci/python-range.sh             # oldest and newest present
#   PSYQ_PYTHONS="3.10.13" .ci/python-range.sh   # just these pyenv versions
set -euo pipefail
cd "$(dirname "$0")/.."

root="${PYENV_ROOT:-$HOME/.pyenv}"
floor="$(python3 - <<'EOF'
import re
text = open("pyproject.toml", encoding="utf-8").read()
m = re.search(r'requires-python\s*=\s*">=\s*(\d+)\.(\d+)"', text)
print(f"{m.group(1)}.{m.group(2)}" if m else "3.10")
EOF
)"
default="$(python -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"

if [ -n "${PSYQ_PYTHONS:-}" ]; then
  read -r -a picked <<<"$PSYQ_PYTHONS"
else
  if [ ! -d "$root/versions" ]; then
    echo "python-range: skipped: no pyenv versions under $root/versions (set PYENV_ROOT);" \
         "only the default Python $default was tested"
    exit 0
  fi
  # Every X.Y.Z at or above the floor; the oldest minor's newest patch and the newest overall.
  mapfile -t picked < <(python3 - "$root/versions" "$floor" <<'EOF'
import os, re, sys
folder, floor = sys.argv[1], tuple(int(x) for x in sys.argv[2].split("."))
found = []
for name in os.listdir(folder):
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", name)
    if m and os.path.exists(os.path.join(folder, name, "bin", "python")):
        v = tuple(int(x) for x in m.groups())
        if v[:2] >= floor:
            found.append(v)
if found:
    found.sort()
    oldest_minor = found[0][:2]
    oldest = max(v for v in found if v[:2] == oldest_minor)
    for v in sorted({oldest, found[-1]}):
        print(".".join(map(str, v)))
EOF
)
fi

status=0
for version in "${picked[@]}"; do
  py="$root/versions/$version/bin/python"
  if [ "${version%.*}" = "${default%.*}" ]; then
    echo "python-range: skipped $version: it is the default Python, which the README's test command already ran"
    continue
  fi
  if [ ! -x "$py" ]; then
    echo "python-range: skipped $version: $py is not there"
    continue
  fi
  work="$(mktemp -d)"
  echo "== python-range: the test suite on Python $version"
  "$py" -m venv "$work/venv"
  # pip's chatter (this machine's index warnings) goes to a log, shown only when the install fails.
  if ! "$work/venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]' \
        >"$work/pip.log" 2>&1; then
    cat "$work/pip.log" >&2
    echo "python-range: installing psyq with its test extra FAILED on Python $version" >&2
    status=1
    rm -rf "$work"
    continue
  fi
  # -W error for the pty warning: 3.12+ warns when a test forks a multi-threaded process.
  if ! "$work/venv/bin/python" -m pytest -p no:cacheprovider \
        -W "error:This process:DeprecationWarning"; then
    echo "python-range: the suite FAILED on Python $version" >&2
    status=1
  fi
  rm -rf "$work"
done
if [ "${#picked[@]}" -eq 0 ]; then
  echo "python-range: skipped: no pyenv Python at or above $floor under $root/versions"
fi
exit "$status"
