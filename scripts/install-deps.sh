#!/usr/bin/env bash
# Installs the Debian 12 packages file-service needs, and nothing else.
# Idempotent and non-interactive: packages already present are skipped, so a
# second run costs one dpkg query.
#   install-deps.sh          build + run the service
#   install-deps.sh --test   also what the test suite, fuzzers and load tools use
#                            (the Docker engine and mmdebstrap for the image's
#                            end-to-end test), and tools/ (npm: Docker lints,
#                            OpenAPI validator, playwright-core to drive
#                            Debian's chromium), and a single-node Ceph
#                            (tests/s3/ceph.sh) for the S3 client's tests
set -euo pipefail

build_pkgs=(
  g++ cmake ninja-build pkg-config
  libcpp-httplib-dev libsqlite3-dev libssl-dev zlib1g-dev nlohmann-json3-dev
  libjemalloc-dev libgoogle-perftools-dev google-perftools
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev libpugixml-dev
  curl ca-certificates
)
test_pkgs=(
  python3 python3-yaml clang libclang-rt-14-dev
  golang-go golang-github-google-pprof-dev
  prometheus docker-compose yamllint
  docker.io mmdebstrap
  nginx-light wrk hey curl nodejs procps util-linux
  chromium
  ceph-mon ceph-osd radosgw ceph-common
)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Debian's nodejs ships npm separately (NodeSource's bundles it): the Docker
# lint tools come from the npm registry.
if [[ "${1:-}" == "--test" ]] && ! command -v npm >/dev/null; then missing+=(npm); fi
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#want[@]} packages present"
else
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# The test tools from the npm registry (Docker lints, the OpenAPI validator,
# playwright-core for the flame graph's browser test),
# exactly as tools/package-lock.json pins them; again only when the lock file
# changed since the last install.
if [[ "${1:-}" == "--test" ]]; then
  tools=$(cd "$(dirname "$0")/.." && pwd)/tools
  stamp=$tools/node_modules/.installed-from-lock
  if ! cmp -s "$tools/package-lock.json" "$stamp"; then
    echo "install-deps: installing tools/ (npm ci)"
    npm ci --prefix "$tools" --prefer-offline --no-audit --no-fund --loglevel=error
    cp "$tools/package-lock.json" "$stamp"
  fi
fi
