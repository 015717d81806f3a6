# ddns-rs container image: one static binary on an empty base.
#
#   docker build -t ddns-rs .
#   docker run -d --name ddns-rs --restart=always --net=host -v /opt/ddns-rs:/data ddns-rs
#
# --net=host: the container then sees the host's interfaces and IPv6 addresses. Without it,
# Docker's default bridge has no IPv6 (ddns-go #358): `gettype: netInterface` finds only the
# container's own address and IPv6 echo URLs fail. With the default bridge, publish the web UI
# instead (-p 9876:9876) and use IPv4 URL detection only.
#
# The config lives in /data (a volume): /data/.ddns_go_config.yaml, written by the web UI, with
# its lock file beside it. The host directory must be writable by uid 65532 (the image's
# non-root user): `sudo install -d -o 65532 -g 65532 /opt/ddns-rs`.

# --- build -----------------------------------------------------------------------------------
# Debian 12 with the current stable Rust (the crate needs 1.89 or newer), building for musl so
# that the binary is fully static (no glibc, no loader) and runs on an empty base. musl-tools
# provides the C compiler ring's assembly and C parts need for that target.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add "$(uname -m)-unknown-linux-musl"
WORKDIR /src
# Dependencies first, so that a source change does not rebuild them: a dummy main is built
# against the real manifest and lock file, then thrown away.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked --target "$(uname -m)-unknown-linux-musl" || true
COPY . .
# Touch the sources so cargo does not reuse the dummy build of the crate itself.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --target "$(uname -m)-unknown-linux-musl" \
    && install -D -m 0755 "target/$(uname -m)-unknown-linux-musl/release/ddns-rs" /out/usr/local/bin/ddns-rs \
    && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt \
    && install -d -o 65532 -g 65532 -m 0750 /out/data

# --- run -------------------------------------------------------------------------------------
# Nothing but the binary, the CA bundle (added to the roots built into the binary, as on any
# host) and the data directory: no shell, no package manager, no libc.
FROM scratch
COPY --from=build /out/ /
ENV HOME=/data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 9876
# Health: the binary asks its own /healthz (`-healthcheck`; the image has no shell, curl or
# wget) and exits 0 when every enabled record holds the current address, 1 otherwise, printing
# the reasons (`docker inspect --format '{{json .State.Health}}' ddns-rs`). Keep its -l in step
# with the one in CMD, and add -tlsCert/-tlsKey when the web UI is served over HTTPS; with
# -noweb there is nothing to ask, so drop the HEALTHCHECK (`--no-healthcheck`). Until a config
# exists the container reports unhealthy, which is the truth.
HEALTHCHECK --interval=5m --timeout=30s --start-period=2m --retries=3 \
    CMD ["/usr/local/bin/ddns-rs", "-healthcheck", "-l", ":9876"]
ENTRYPOINT ["/usr/local/bin/ddns-rs"]
CMD ["-l", ":9876", "-f", "300", "-c", "/data/.ddns_go_config.yaml"]
