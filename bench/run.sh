#!/usr/bin/env bash
# ddns-rs benchmarks: builds the release binary, installs the peers (inadyn, ddclient) if missing,
# then runs bench/bench.py inside a fresh network namespace (loopback only) and prints one table.
# Method and results: docs/benchmarks.md. Needs root (namespace, veth, apt-get) on Debian 12.
#
# Environment:
#   BENCH_RUNS=3       runs per median (figures 2, 5, 6)
#   BENCH_CYCLES=10000 sync cycles for figure 3
#   BENCH_TRIALS=50    trials for figure 4
#   BENCH_LONG=1       figure 6 over a real 10-minute window instead of 60 s scaled
#   BENCH_PEERS=0      skip inadyn and ddclient
#   BENCH_JSON=path    also write the raw numbers as JSON
#   BENCH_BIN=path     use this binary instead of building one
#   BENCH_MUSL=0       skip the static musl build (built and measured beside the default one
#                      when the Rust target x86_64-unknown-linux-musl is installed)
#   BENCH_MUSL_BIN=path use this static musl binary instead of building one
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [[ $(id -u) -ne 0 ]]; then
    echo "run.sh: needs root (network namespace, veth, apt-get)" >&2
    exit 1
fi

need_pkgs=()
command -v python3 >/dev/null || need_pkgs+=(python3)
[[ -x /usr/bin/time ]] || need_pkgs+=(time)
command -v ip >/dev/null || need_pkgs+=(iproute2)
command -v unshare >/dev/null || need_pkgs+=(util-linux)
if [[ ${BENCH_PEERS:-1} != 0 ]]; then
    command -v inadyn >/dev/null || need_pkgs+=(inadyn)
    command -v ddclient >/dev/null || need_pkgs+=(ddclient)
fi
if ((${#need_pkgs[@]})); then
    echo "run.sh: installing ${need_pkgs[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null 2>&1
        apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    }
fi

if [[ -n ${BENCH_BIN:-} ]]; then
    bin=$BENCH_BIN
else
    echo "run.sh: cargo build --release" >&2
    cargo build --release --quiet --bin ddns-rs
    bin=${CARGO_TARGET_DIR:-$repo/target}/release/ddns-rs
fi
# The static musl build that routers and the container image use (docs/install.md): figures 1,
# 2, 5, 6 and 7 are measured for it too. musl-tools gives ring's C code a musl compiler.
musl_bin=${BENCH_MUSL_BIN:-}
if [[ -z $musl_bin && ${BENCH_MUSL:-1} != 0 ]] &&
    rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
    command -v musl-gcc >/dev/null ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null 2>&1 || true
    echo "run.sh: cargo build --release --target x86_64-unknown-linux-musl" >&2
    cargo build --release --quiet --bin ddns-rs --target x86_64-unknown-linux-musl
    musl_bin=${CARGO_TARGET_DIR:-$repo/target}/x86_64-unknown-linux-musl/release/ddns-rs
elif [[ -z $musl_bin && ${BENCH_MUSL:-1} != 0 ]]; then
    echo "run.sh: no x86_64-unknown-linux-musl Rust target here: the static build is not measured" >&2
fi

# The release profile strips already (strip = true); strip copies anyway so figure 1 is the
# stripped size whatever the profile says.
stripped=$(mktemp /tmp/ddns-rs-stripped.XXXXXX)
stripped_musl=$(mktemp /tmp/ddns-rs-musl-stripped.XXXXXX)
trap 'rm -f "$stripped" "$stripped_musl"' EXIT
for pair in "$bin:$stripped" "$musl_bin:$stripped_musl"; do
    src=${pair%%:*} dst=${pair#*:}
    [[ -n $src ]] || continue
    cp "$src" "$dst"
    if command -v strip >/dev/null; then
        strip "$dst"
    fi
    chmod 755 "$dst"
done

args=(--bin "$stripped" --repo "$repo" --runs "${BENCH_RUNS:-3}" --cycles "${BENCH_CYCLES:-10000}"
    --trials "${BENCH_TRIALS:-50}")
[[ -n $musl_bin ]] && args+=(--musl-bin "$stripped_musl")
[[ ${BENCH_LONG:-0} == 1 ]] && args+=(--long)
[[ ${BENCH_PEERS:-1} == 0 ]] && args+=(--no-peers)
[[ -n ${BENCH_JSON:-} ]] && args+=(--json "$BENCH_JSON")

echo "run.sh: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run" >&2
# A fresh network namespace with only loopback: nothing the programs do can leave the machine.
# A global address on lo (11.9.9.9, only a string nobody routes to) lets ddns-rs's start-up
# wait for the network (service/netwait) see a network, as it would on a real host.
unshare -n -- bash -c 'ip link set lo up && ip addr add 11.9.9.9/32 dev lo &&
    exec python3 "$0" "$@"' "$repo/bench/bench.py" "${args[@]}"
