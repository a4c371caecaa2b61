#!/usr/bin/env bash
# Lints the container files without a Docker engine, offline once tools/ is
# installed: the Dockerfiles (the service's and deploy/nginx/'s) with
# dockerfile-utils (Docker's own instruction and flag syntax) and
# dockerfilelint (practices: pinned tags, apt-get flags, ports), and
# docker-compose.stress.yml with docker-compose's `config` (plus yamllint
# where installed). Also checks that .env makes the stress file the
# default, as `docker compose --profile t3-micro up` in the README relies on.
# Exit status 0 when everything passes; the first failure's status otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bin=tools/node_modules/.bin

if [[ ! -x $bin/dockerfilelint || ! -x $bin/dockerfile-utils ]]; then
  echo "lint-docker: tools/ is not installed: run scripts/install-deps.sh --test" >&2
  exit 2
fi

for f in Dockerfile deploy/nginx/Dockerfile; do
  echo "lint-docker: $f (dockerfile-utils)"
  "$bin/dockerfile-utils" lint "$f"
  echo "lint-docker: $f (dockerfilelint)"
  "$bin/dockerfilelint" "$f"
done

if ! command -v docker-compose >/dev/null; then
  echo "lint-docker: docker-compose is not installed (scripts/install-deps.sh --test)" >&2
  exit 1
fi
echo "lint-docker: docker-compose.stress.yml (docker-compose config)"
docker-compose -f docker-compose.stress.yml config -q
if command -v yamllint >/dev/null; then
  yamllint -s -d '{extends: default, rules: {line-length: {max: 100}, document-start: disable}}' \
    docker-compose.stress.yml
fi

echo "lint-docker: .env selects docker-compose.stress.yml"
services=$(docker-compose config --services)
for p in $(stress-tests/instance.sh --list | awk 'NR > 1 {print $1}'); do
  grep -qx "$p" <<<"$services" || {
    echo "lint-docker: 'docker-compose config' from the root lacks service $p: check .env" >&2
    exit 1
  }
done
echo "lint-docker: ok"
