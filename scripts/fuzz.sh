#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, ASan and UBSan into
# build-fuzz/ and runs each for SECONDS (default 60), starting from the
# committed seeds in tests/fuzz/corpus/<target>/. Fails on any crash, leak,
# timeout or sanitizer report; the input that triggered it is kept in
# build-fuzz/artifacts/. New inputs found go to build-fuzz/corpus/<target>/
# (copy interesting ones into tests/fuzz/corpus to keep them).
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 3600       # an hour per target
#   FUZZ_TARGETS="fuzz_path fuzz_range" scripts/fuzz.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build=build-fuzz

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFSVC_BUILD_FUZZ=ON -DFSVC_BUILD_BENCH=OFF -DFSVC_SANITIZE=address,undefined \
  -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=all" >/dev/null
ninja -C "$build" -j"$(nproc)" fuzz_targets

targets="${FUZZ_TARGETS:-$(cd tests/fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')}"
mkdir -p "$build/artifacts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
failed=()
for t in $targets; do
  mkdir -p "$build/corpus/$t"
  echo "== $t: ${seconds}s"
  # The scratch corpus comes first: libFuzzer adds what it finds there and
  # leaves the committed seeds alone.
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$build/$t.log" 2>&1; then
    tail -n 60 "$build/$t.log"
    failed+=("$t")
  else
    grep -E '^stat::(number_of_executed_units|new_units_added)' "$build/$t.log" | tr '\n' ' '
    echo
  fi
done
if ((${#failed[@]})); then
  echo "fuzzing FAILED: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "fuzzing passed: $(echo $targets | wc -w) targets, ${seconds}s each"
