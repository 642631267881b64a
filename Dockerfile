# syntax=docker/dockerfile:1
# ferrodyn in a container:
#   docker build -t ferrodyn .
#   docker run -p 8000:8000 -v ferrodyn-data:/data ferrodyn
# The data dir is the volume /data; the health check asks GET / (DynamoDB's health line).

# ---- build: the Rust toolchain, libclang for RocksDB's bindings, protoc for the etcd client ---
# clang compiles RocksDB's C++ in about half gcc's time (BENCHMARKS.md, "First build").
FROM rust:1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libclang-dev clang protobuf-compiler \
    && rm -rf /var/lib/apt/lists/*
ENV CC=clang CXX=clang++
WORKDIR /src
COPY . .
# The caches keep the registry and the RocksDB build between image builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p ferrodyn \
    && cp target/release/ferrodyn /usr/local/bin/ferrodyn

# ---- run: the binary alone on a slim Debian (glibc and libstdc++ are all it links) -------------
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data --no-create-home ferrodyn \
    && mkdir /data && chown ferrodyn /data
COPY --from=build /usr/local/bin/ferrodyn /usr/local/bin/ferrodyn
USER ferrodyn
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q healthy <&3"]
ENTRYPOINT ["ferrodyn"]
CMD ["serve", "--bind", "0.0.0.0", "--port", "8000", "--data-dir", "/data"]
