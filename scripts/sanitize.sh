#!/usr/bin/env bash
# The test suite under sanitizers; any report fails it.
#   asan: everything (unit + integration, the server binary included) built
#         with -DFSVC_SANITIZE=address,undefined into build-asan/
#   tsan: the concurrency-heavy tests built with -DFSVC_SANITIZE=thread into
#         build-tsan/ (TSAN_TESTS, a ctest -R regex, says which)
# jemalloc and the CPU profiler are switched off in both builds (CMake does
# that for FSVC_SANITIZE). Reports from every process, the servers the
# integration tests start included, are written to <build>/sanitizer-reports/
# and printed at the end.
#   scripts/sanitize.sh [asan|tsan|all]      (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
# Left out under sanitizers: memory bounds and kernel OOM kills (shadow memory
# and quarantine make the figures meaningless), the profilers (jemalloc and
# gperftools are switched off in these builds), the load suite and the
# Docker/compose checks (nothing of ours runs in them).
ASAN_EXCLUDE="${ASAN_EXCLUDE:-OneGib|InstanceScript|ProfileTable|MemoryFigures|Pprof|CpuProfiler|HeapProfiler|CpuCapture|MemoryStats|LoadSuite|DockerImage|ComposeFile}"
TSAN_TESTS="${TSAN_TESTS:-ConcurrencyTest|CrashRecovery|ShutdownTest|MetadataStoreTest|FileStoreTest|UrlCache|LruMap|RateLimit|Histogram|RequestMetrics|ThreadShard|ClientsVanishing|LinksTest|ElasticPool|UploadGate}"

run_suite() {  # build-dir sanitizer ctest-args...
  local build="$1" sanitize="$2"
  shift 2
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFSVC_BUILD_BENCH=OFF \
    -DFSVC_SANITIZE="$sanitize" -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=all" >/dev/null
  # s3_tests too, though it runs only against a Ceph (tests/s3/run.sh, label s3, left out
  # below): a test binary ctest cannot find counts as a failed test.
  ninja -C "$build" -j"$(nproc)" file-service unit_tests integration_tests s3_tests
  local reports="$PWD/$build/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  local start=$SECONDS status=0
  ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:quarantine_size_mb=64:log_path=$reports/asan" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$reports/tsan:suppressions=$PWD/tests/sanitizers/tsan.supp" \
    ctest --test-dir "$build" --output-on-failure --timeout 900 -j1 -LE s3 "$@" || status=$?
  echo "== $build: ctest took $((SECONDS - start))s"
  if compgen -G "$reports/*" >/dev/null; then
    for r in "$reports"/*; do
      echo "---- $r"
      head -n 80 "$r"
    done
    echo "sanitizer reports in $reports" >&2
    status=1
  fi
  return "$status"
}

status=0
if [[ "$mode" == asan || "$mode" == all ]]; then
  run_suite build-asan address,undefined -E "$ASAN_EXCLUDE" || status=1
fi
if [[ "$mode" == tsan || "$mode" == all ]]; then
  run_suite build-tsan thread -R "$TSAN_TESTS" || status=1
fi
exit "$status"
