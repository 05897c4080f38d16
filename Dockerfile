# syntax=docker/dockerfile:1
# Fleetwatch's images, from one Dockerfile (docker-compose.yml builds both):
#   target runtime  the `fleetwatch` binary and the dashboard: compose services api and collector
#   target web      Debian's nginx (the one tests/stack.rs runs) with nginx/ and the dashboard
# The build fetches only from crates.io, the npm registry and Debian.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# ---- build: the release binary and the WASM dashboard ------------------------------------------
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
WORKDIR /src
# wasm-bindgen-cli at exactly the version Cargo.lock pins (.ci/wasm-bindgen.sh reads it there);
# its own layer, rebuilt only when Cargo.lock changes.
COPY Cargo.lock ./
COPY .ci/wasm-bindgen.sh .ci/
RUN --mount=type=cache,target=/usr/local/cargo/registry .ci/wasm-bindgen.sh
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/root/.npm \
    --mount=type=cache,target=/src/target \
    set -eux; \
    cargo build --release --locked --bin fleetwatch; \
    mkdir -p /out; \
    cp target/release/fleetwatch /out/fleetwatch; \
    frontend/build.sh /out/web

# ---- base: what both runtime images share --------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

# ---- runtime: `fleetwatch api`, `fleetwatch collector` (or `serve`) -------------------------------
FROM base AS runtime
# procps: `uptime` and `ps` for a server with transport = "local" (the container itself).
RUN apt-get update \
 && apt-get install -y --no-install-recommends procps \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/fleetwatch /usr/local/bin/fleetwatch
COPY --from=build /out/web /usr/share/fleetwatch/web
ENV FLEETWATCH_LISTEN=0.0.0.0:8080 \
    FLEETWATCH_WEB_DIR=/usr/share/fleetwatch/web \
    FLEETWATCH_LOG_FORMAT=json \
    RUST_BACKTRACE=0
# ./fleetwatch.toml is read from here when present (compose mounts FLEETWATCH_CONFIG_DIR here).
WORKDIR /etc/fleetwatch
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["fleetwatch"]
CMD ["serve"]

# ---- web: nginx in front of the api ---------------------------------------------------------------
FROM base AS web
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx gettext-base openssl \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/*
COPY nginx/render.sh nginx/make-cert.sh /usr/share/fleetwatch/nginx/
COPY nginx/templates/ /usr/share/fleetwatch/nginx/templates/
COPY --from=build /out/web /usr/share/fleetwatch/web
ENV NGINX_WEB_ROOT=/usr/share/fleetwatch/web \
    FLEETWATCH_API_UPSTREAM=api:8080
USER 10001:10001
EXPOSE 8080 8443
# SIGQUIT: nginx's graceful stop (finish the requests in flight).
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/nginx-healthz"]
ENTRYPOINT ["/usr/share/fleetwatch/nginx/render.sh", "--run", "/tmp/nginx"]
