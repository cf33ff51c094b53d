#!/usr/bin/env bash
# Coverage-guided fuzzing (atheris) of the answer parser and the template loader, for a short
# bounded time each (FUZZ_SECONDS, default 30).  Installs atheris if missing.  Fails when a harness
# records a crash, and prints the input.  See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${FUZZ_SECONDS:-30}"

if ! python -c "import atheris" 2>/dev/null; then
  if ! python -m pip install -q atheris; then
    echo "fuzz-short: atheris cannot be installed for $(python -V 2>&1) on $(uname -m); skipped" \
         "(the hypothesis fuzzers in tests/test_fuzz_*.py still ran)" >&2
    exit 0
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python fuzz/seeds.py "$work"

status=0
run() {  # name, extra libFuzzer flags…
  local name="$1"; shift
  echo "== fuzz_$name: ${SECONDS_EACH} s"
  if ! python "fuzz/fuzz_$name.py" -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 \
        -artifact_prefix="$work/$name-" -print_final_stats=1 "$@" "$work/corpus-$name" \
        > "$work/$name.log" 2>&1; then
    status=1
    echo "fuzz_$name FOUND A PROBLEM:" >&2
    grep -v '^INFO:\|^#[0-9]\|^WARNING' "$work/$name.log" | tail -40 >&2
    for f in "$work/$name-"*; do
      [ -e "$f" ] || continue
      echo "input $(basename "$f"):" >&2
      python -c 'import sys; print(repr(open(sys.argv[1], "rb").read()[:2000]))' "$f" >&2
    done
  else
    grep -E '^Done [0-9]+ runs|stat::number_of_executed_units' "$work/$name.log" | head -2
  fi
}
run answers -timeout=10
run templates -timeout=60 -dict=fuzz/template.dict
exit "$status"
