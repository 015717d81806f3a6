#!/usr/bin/env bash
# Rebuilds docs/providers.md from the per-provider sections in docs/providers/, in the order of
# the provider registry (src/provider/mod.rs PROVIDERS). Run after editing a section.
set -euo pipefail
cd "$(dirname "$0")/.."
keys=$(sed -n '/pub const PROVIDERS/,/^];/p' src/provider/mod.rs | grep -o '&[a-z0-9_]*::META' | sed 's/^&//; s/::META$//')
{
    echo "# Providers"
    echo
    echo "Every provider ddns-rs supports, with what \`id\`, \`secret\` and \`extparam\` mean, where to"
    echo "create the key and with which minimal permission, custom parameters, TTL and whether the"
    echo "provider can be read back (\"change-only\" providers cannot). The web UI's provider picker"
    echo "shows the same labels and help. Custom parameters are written after the domain:"
    echo "\`www.example.com?Key=Value&Other=x\`."
    echo
    for k in $keys; do
        title=$(head -1 "docs/providers/$k.md" | sed 's/^## //')
        # GitHub's rule: lower-case, drop ASCII punctuation (keep letters of any script), spaces → -.
        anchor=$(printf '%s' "$title" | tr 'A-Z' 'a-z' | tr -d '`()!"#$%&*+,./:;<=>?@[\\]^{|}~'"'" | sed 's/ /-/g')
        echo "- [$title](#$anchor)"
    done
    for k in $keys; do
        echo
        cat "docs/providers/$k.md"
    done
} > docs/providers.md
echo "docs/providers.md: $(echo $keys | wc -w) providers"
