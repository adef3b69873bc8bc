#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets in fuzz/corpus/<target>/ (git
# ignores it) from the repository's fixtures and, when they sit beside the
# checkout, the public captures in ../shared/pcaps, read in place. The small
# hand-made seeds in fuzz/seeds/<target>/ are committed and used as they are.
# Usage: fuzz/seed.sh [INPUT...]   (files or directories; default as above)
set -euo pipefail
cd "$(dirname "$0")/.."

inputs=("$@")
if [ ${#inputs[@]} -eq 0 ]; then
    inputs=(fixtures)
    if [ -d ../shared/pcaps ]; then
        inputs+=(../shared/pcaps)
    else
        echo "seed: ../shared/pcaps not found; seeding from fixtures only" >&2
    fi
fi
mkdir -p fuzz/corpus
# A debug build in the top-level target directory: fuzz/Cargo.lock pins the
# same dependency versions, so what `cargo test` compiled is reused.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}" \
    cargo run --quiet --manifest-path fuzz/Cargo.toml -p camsentry-fuzz-seed -- \
    fuzz/corpus "${inputs[@]}"
