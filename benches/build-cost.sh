#!/usr/bin/env bash
# Build cost for users (BENCHMARKS.md, "Build cost"; issue 9 item 2).
#
#   benches/build-cost.sh [--quick] [--runs N] [--timings]
#
# Builds two fixture crates that live outside the workspace (benches/fixtures/*, each with its own
# [workspace] table, default dev profile, path dependencies on runtime/ and codegen/):
#
#   all-objects   build.rs generates every bundled object, src/lib.rs includes them
#   five-objects  build.rs generates objects 3, 6, 3303, 3311, 3336; src/main.rs uses them
#
# First builds everything once (the dependencies: "dependencies already built"), then times, N
# times each (default 3, --quick: 1):
#
#   full   `cargo clean -p <fixture>` then `cargo build`: the crate itself, its build script
#          compiled and run (code generation) and the generated code compiled
#   touch  five-objects only: `touch src/main.rs` then `cargo build` (the incremental rebuild)
#
# and prints each run, then the median and min..max. With --timings, one extra full build of
# each fixture runs with `cargo build --timings` and the unit durations (build script compile,
# build script run, crate compile) are printed from the HTML report.
#
# Fixtures build in target/bench-fixtures (override with BENCH_TARGET_DIR) with the workspace's
# Cargo.lock copied in, so the dependency versions are the workspace's. Runnable on a fresh
# clone; needs only cargo (python3 for --timings).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
timings=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) runs=1 ;;
        --runs) runs=$2; shift ;;
        --timings) timings=1 ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

export CARGO_TARGET_DIR=${BENCH_TARGET_DIR:-$root/target/bench-fixtures}
fixtures="$root/benches/fixtures"

now() { date +%s.%N; }

# median and min..max of the numbers on stdin, seconds with 2 decimals
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "median %.2f s (%.2f..%.2f, %d runs)\n", m, v[1], v[NR], NR }'
}

build() { # fixture, extra cargo args...
    local name=$1; shift
    cargo build --quiet --manifest-path "$fixtures/$name/Cargo.toml" "$@"
}

timed_build() { # fixture -> prints seconds
    local start end
    start=$(now)
    build "$1"
    end=$(now)
    echo "$end - $start" | bc -l
}

echo "machine: nproc=$(nproc), $(free -m | awk '/^Mem:/ { print $2 " MiB" }'), kernel $(uname -r), $(rustc --version)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "target dir: $CARGO_TARGET_DIR"

for name in all-objects five-objects; do
    cp "$root/Cargo.lock" "$fixtures/$name/Cargo.lock"
    echo "building $name and its dependencies once..."
    build "$name"
done

for name in all-objects five-objects; do
    package="bench-$name"
    times=()
    for i in $(seq "$runs"); do
        cargo clean --quiet --manifest-path "$fixtures/$name/Cargo.toml" -p "$package"
        t=$(timed_build "$name")
        times+=("$t")
        printf 'full build %s run %d: %.2f s\n' "$name" "$i" "$t"
    done
    printf 'RESULT full build %s: %s\n' "$name" "$(printf '%s\n' "${times[@]}" | stats)"
done

times=()
for i in $(seq "$runs"); do
    touch "$fixtures/five-objects/src/main.rs"
    t=$(timed_build five-objects)
    times+=("$t")
    printf 'touch main.rs five-objects run %d: %.2f s\n' "$i" "$t"
done
printf 'RESULT incremental five-objects (touch src/main.rs): %s\n' "$(printf '%s\n' "${times[@]}" | stats)"

if [ "$timings" = 1 ]; then
    for name in all-objects five-objects; do
        cargo clean --quiet --manifest-path "$fixtures/$name/Cargo.toml" -p "bench-$name"
        build "$name" --timings
        report="$CARGO_TARGET_DIR/cargo-timings/cargo-timing.html"
        echo "timings of $name ($report):"
        python3 - "$report" <<'EOF'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
match = re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S)
if not match:
    sys.exit("no UNIT_DATA in the timings report")
for unit in json.loads(match.group(1)):
    if unit["name"].startswith("bench-"):
        target = unit.get("target", "").strip() or "lib"
        print(f"  {unit['name']} {target}: {unit['duration']:.2f} s")
EOF
    done
fi
