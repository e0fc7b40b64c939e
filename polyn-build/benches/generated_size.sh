#!/usr/bin/env bash
# Generated code size and rebuild times of a crate with many schemas, for two
# polyn-build checkouts side by side.
#
# Usage:
#   git worktree add --detach /tmp/pb-old <rev>     # the generator to compare with
#   polyn-build/benches/generated_size.sh [OLD_POLYN_BUILD [NEW_POLYN_BUILD]]
#
# OLD_POLYN_BUILD defaults to /tmp/pb-old/polyn-build, NEW_POLYN_BUILD to this
# checkout's polyn-build. Environment: SCHEMAS (default 200), RUNS (default 3),
# WORK (default /tmp/polyn-build-bench; holds the crates and their own target
# directory, kept between runs so only the first run compiles dependencies).
#
# For each generator it writes a crate under WORK with SCHEMAS copies of
# tests/golden/*.json (each under its own name, `$id` rewritten to match),
# depending on this checkout's `polyn` and on that generator through
# `[build-dependencies]`, and `pub mod events { polyn::include_events!(); }`
# in src/lib.rs. The runtime crates (polyn, polyn-macros, polyn-naming,
# polyn-schemas) and both generators are copied under WORK first, so edits
# to the checkout while it runs do not rebuild them in a timed step. Then,
# RUNS times, alternating between the two crates:
#
#   clean   `cargo clean -p` the crate, then build it (build script compiled and
#           run, crate compiled; dependencies already built)
#   touch   `touch src/lib.rs`, rebuild (the crate only)
#   same    `touch` one schema without changing it, rebuild
#   edit    add a property to one schema, rebuild
#
# The generated lines and bytes count the main file and, for a generator that
# writes one file per schema next to it, those files too.
# and prints the generated lines and bytes and, per step, the median and the
# range of the wall-clock times, in seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
old_src="${1:-/tmp/pb-old/polyn-build}"
new_src="${2:-$repo/polyn-build}"
schemas="${SCHEMAS:-200}"
runs="${RUNS:-3}"
work="${WORK:-/tmp/polyn-build-bench}"
target="$work/target"
log="$work/cargo.log"

die() { echo "generated_size: error: $*" >&2; exit 1; }
[[ -f "$old_src/Cargo.toml" ]] || die "no polyn-build at $old_src (git worktree add --detach /tmp/pb-old <rev>)"
[[ -f "$new_src/Cargo.toml" ]] || die "no polyn-build at $new_src"
command -v jq >/dev/null || die "jq is needed to rewrite the schemas' \$id"
mkdir -p "$work"
: >"$log"

runtime="$work/runtime"
runtime_crates=(polyn polyn-macros polyn-naming polyn-schemas)

# The runtime crates, copied with their workspace manifest. `cp -a` keeps
# modification times, so an unchanged copy stays fresh for cargo.
runtime_copy() {
    rm -rf "$runtime"
    mkdir -p "$runtime"
    local crate
    for crate in "${runtime_crates[@]}"; do
        cp -a "$repo/$crate" "$runtime/$crate"
    done
    cp -a "$repo/README.md" "$repo/Cargo.lock" "$runtime/"
    sed -e 's|^members = .*|members = ["polyn", "polyn-macros", "polyn-naming", "polyn-schemas"]|' \
        "$repo/Cargo.toml" >"$runtime/Cargo.toml"
    touch -r "$repo/Cargo.toml" "$runtime/Cargo.toml"
}

# A generator is used from a copy whose workspace sends the other polyn crates
# (polyn-schemas, polyn-naming) to the runtime copy: `polyn` depends on them
# too, and a dependency graph can hold only one package of a name and version
# from a path.
generator_copy() {
    local src="$1" dest="$2"
    local root
    root="$(cd "$src/.." && pwd)"
    rm -rf "$dest/polyn-build"
    mkdir -p "$dest"
    cp -a "$src/." "$dest/polyn-build/"
    sed -e 's|^members = .*|members = ["polyn-build"]|' \
        -e '/^\[workspace.dependencies\]/,/^\[/ s|path = "\(polyn-[a-z-]*\)"|path = "'"$runtime"'/\1"|' \
        -e 's|path = "'"$runtime"'/polyn-build"|path = "polyn-build"|' \
        "$root/Cargo.toml" >"$dest/Cargo.toml.new"
    if ! cmp -s "$dest/Cargo.toml.new" "$dest/Cargo.toml"; then
        mv "$dest/Cargo.toml.new" "$dest/Cargo.toml"
    else
        rm "$dest/Cargo.toml.new"
    fi
}

# The crate that includes the generated code, with fresh schemas.
write_crate() {
    local name="$1" generator="$2" dir="$work/$1"
    mkdir -p "$dir/src"
    rm -rf "$dir/schemas"
    mkdir -p "$dir/schemas"
    cat >"$dir/Cargo.toml.new" <<EOF
[package]
name = "$name"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
polyn = { path = "$runtime/polyn" }

[build-dependencies]
polyn-build = { path = "$generator" }

[workspace]
EOF
    if ! cmp -s "$dir/Cargo.toml.new" "$dir/Cargo.toml"; then
        mv "$dir/Cargo.toml.new" "$dir/Cargo.toml"
    else
        rm "$dir/Cargo.toml.new"
    fi
    printf '%s\n' 'fn main() {' \
        '    polyn_build::compile_schemas("schemas").unwrap_or_else(|err| panic!("{err}"));' \
        '}' >"$dir/build.rs"
    printf '%s\n' '//! Event types generated from `schemas/`.' \
        '/// The generated events.' \
        'pub mod events {' \
        '    polyn::include_events!();' \
        '}' >"$dir/src/lib.rs"
    [[ -f "$dir/Cargo.lock" ]] || cp "$repo/Cargo.lock" "$dir/Cargo.lock"
    local templates=() index=0
    mapfile -t templates < <(ls "$repo"/polyn-build/tests/golden/*.json | sort)
    while ((index < schemas)); do
        local template="${templates[index % ${#templates[@]}]}"
        local message="perf$index.$(basename "$template" .json)"
        jq --arg id "${message//./:}" 'if has("$id") then .["$id"] = $id else . end' \
            "$template" >"$dir/schemas/$message.json"
        index=$((index + 1))
    done
}

cargo_build() {
    env -u CARGO_TARGET_DIR -u CARGO_BUILD_TARGET_DIR -u RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER \
        cargo build --offline --manifest-path "$work/$1/Cargo.toml" --target-dir "$target" >>"$log" 2>&1 ||
        { tail -n 40 "$log" >&2; die "cargo build of $1 failed (log: $log)"; }
}

# Seconds taken by `cargo_build $1`.
timed_build() {
    local start end
    start=$(date +%s.%N)
    cargo_build "$1"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

# "median (min–max)" of the numbers given.
summary() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f (%.1f-%.1f)", m, v[1], v[NR] }'
}

runtime_copy
generator_copy "$old_src" "$work/gen-old"
generator_copy "$new_src" "$work/gen-new"
write_crate bench-old "$work/gen-old/polyn-build"
write_crate bench-new "$work/gen-new/polyn-build"

echo "building dependencies (untimed; log: $log)"
cargo_build bench-old
cargo_build bench-new

declare -A times
edited="perf1.orders.placed.v1.json"
for run in $(seq 1 "$runs"); do
    for variant in old new; do
        crate="bench-$variant"
        dir="$work/$crate"
        env -u CARGO_TARGET_DIR cargo clean --offline -q --manifest-path "$dir/Cargo.toml" \
            --target-dir "$target" -p "$crate" >>"$log" 2>&1
        times[$variant.clean]+="$(timed_build "$crate") "
        touch "$dir/src/lib.rs"
        times[$variant.touch]+="$(timed_build "$crate") "
        touch "$dir/schemas/$edited"
        times[$variant.same]+="$(timed_build "$crate") "
        jq --arg p "edit_$run" '.properties[$p] = {"type": "string"}' "$dir/schemas/$edited" \
            >"$dir/schemas/$edited.new"
        mv "$dir/schemas/$edited.new" "$dir/schemas/$edited"
        times[$variant.edit]+="$(timed_build "$crate") "
    done
    echo "run $run of $runs done"
done

# The sizes, from pristine schemas.
write_crate bench-old "$work/gen-old/polyn-build"
write_crate bench-new "$work/gen-new/polyn-build"
cargo_build bench-old
cargo_build bench-new

echo
echo "$schemas schemas, $runs runs, $(nproc) cores; seconds: median (min-max)"
printf '%-10s %8s %10s  %-18s %-18s %-18s %-18s\n' generator lines bytes clean touch "same schema" "edit schema"
for variant in old new; do
    out=$(ls -t "$target"/debug/build/bench-"$variant"-*/out/polyn_events.rs | head -n 1)
    generated=("$out")
    if [[ -d "${out%.rs}" ]]; then
        generated+=("${out%.rs}"/*.rs)
    fi
    # shellcheck disable=SC2086
    printf '%-10s %8s %10s  %-18s %-18s %-18s %-18s\n' "$variant" \
        "$(cat "${generated[@]}" | wc -l)" "$(cat "${generated[@]}" | wc -c)" \
        "$(summary ${times[$variant.clean]})" "$(summary ${times[$variant.touch]})" \
        "$(summary ${times[$variant.same]})" "$(summary ${times[$variant.edit]})"
done
