# file-service image: a Release build on Debian 12, run as a non-root user.
#
# The build stage installs exactly the packages scripts/install-deps.sh lists
# (by running it), so the image and a developer machine build alike. The
# runtime stage carries only the shared libraries the binary links, plus curl
# for the health check and binutils (addr2line puts file:line in profiles).
# Configuration is by environment (HOST, PORT, DATA_DIR, THREADS,
# MAX_UPLOAD_BYTES, ENABLE_PROFILING, DISABLE_RATE_LIMITER); thread and cache
# sizes default from the container's cgroup limits.

FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src/ src/
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DFSVC_BUILD_TESTS=OFF -DFSVC_BUILD_BENCH=OFF \
 && cmake --build build --target file-service

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcpp-httplib0.11 libsqlite3-0 libssl3 zlib1g libjemalloc2 libgoogle-perftools4 \
      libcurl4 libpugixml1v5 curl binutils \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --no-create-home --home-dir /data --shell /usr/sbin/nologin fsvc \
 && mkdir -p /data \
 && chown fsvc:fsvc /data
# Not stripped: the CPU and heap profiles resolve function names from it.
COPY --from=build /src/build/file-service /usr/local/bin/file-service
ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER fsvc
WORKDIR /data
# No --start-period: dockerfilelint 1.8 misreads it, and three 10 s retries
# already give a start far longer than the service needs (compose sets one).
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health" >/dev/null || exit 1
ENTRYPOINT ["/usr/local/bin/file-service"]
