# syntax=docker/dockerfile:1
# Multi-stage build of the one `obotcall` binary (api, worker, migrate, admin CLI).

# --- build: Swift toolchain, static Swift stdlib, release configuration -----------------------
FROM swift:6.1-bookworm AS build
WORKDIR /src
# Resolve dependencies first so that source edits reuse this layer.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product obotcall --static-swift-stdlib \
    && mkdir -p /out \
    && bin="$(swift build -c release --show-bin-path)" \
    && cp "$bin/obotcall" /out/obotcall \
    && cp -R "$bin"/*.resources /out/

# --- run: slim Debian with the binary, the migrations and an unprivileged user -----------------
FROM debian:bookworm-slim AS run
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libcurl4 libxml2 tzdata curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app obotcall
WORKDIR /app
# The binary and its resource bundles (the queue's Lua scripts) side by side: Bundle.module
# looks for them next to the executable.
COPY --from=build /out/ /usr/local/bin/
COPY migrations ./migrations
ENV MIGRATIONS_DIR=/app/migrations \
    API_HOST=0.0.0.0 \
    API_PORT=8080 \
    LOG_LEVEL=info
USER obotcall
EXPOSE 8080
ENTRYPOINT ["obotcall"]
CMD ["api"]
