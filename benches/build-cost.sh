#!/usr/bin/env bash
# Build cost for users (BENCHMARKS.md, "Build cost"; issue 9 item 2).
#
#   benches/build-cost.sh [--quick] [--runs N] [--timings] [--against DIR]
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
# and prints each run (wall, and CPU: the user + system time of cargo and all it ran), then the
# median and min..max of each. With --timings, one extra full build of each fixture runs with
# `cargo build --timings` and the unit durations (build script compile, build script run, crate
# compile) are printed from the HTML report.
#
# With --against DIR (another checkout, such as `git archive REV | tar -x -C /tmp/before`), every
# measurement alternates run by run between DIR's fixtures ("against", built in the target dir
# + "-against") and this checkout's ("this"), and both are summarized: on a shared machine the
# load changes over minutes, so alternating is the fair comparison.
#
# Fixtures build in target/bench-fixtures (override with BENCH_TARGET_DIR) with the workspace's
# Cargo.lock copied in, so the dependency versions are the workspace's. Runnable on a fresh
# clone; needs only cargo (python3 for --timings).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
timings=0
against=
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) runs=1 ;;
        --runs) runs=$2; shift ;;
        --timings) timings=1 ;;
        --against) against=$(cd "$2" && pwd); shift ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

target=${BENCH_TARGET_DIR:-$root/target/bench-fixtures}
export CARGO_TARGET_DIR=$target

now() { date +%s.%N; }

# median and min..max of the numbers on stdin, seconds with 2 decimals
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "median %.2f s (%.2f..%.2f, %d runs)\n", m, v[1], v[NR], NR }'
}

# the checkouts measured: "this", and "against" with --against
variants=(this)
[ -n "$against" ] && variants=(against this)

tree_of() { if [ "$1" = against ]; then echo "$against"; else echo "$root"; fi; }
target_of() { if [ "$1" = against ]; then echo "$target-against"; else echo "$target"; fi; }

build() { # variant, fixture, extra cargo args...
    local variant=$1 name=$2; shift 2
    CARGO_TARGET_DIR=$(target_of "$variant") \
        cargo build --quiet --manifest-path "$(tree_of "$variant")/benches/fixtures/$name/Cargo.toml" "$@"
}

# the user + system time of process $1's waited-for children (cargo and everything it ran)
cpu() {
    awk -v tck="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($16 + $17) / tck }' "/proc/$1/stat"
}

timed_build() { # variant, fixture -> prints "wall cpu" in seconds
    local start end c0 c1 shell=$BASHPID
    c0=$(cpu "$shell")
    start=$(now)
    build "$1" "$2" >&2
    end=$(now)
    c1=$(cpu "$shell")
    echo "$(echo "$end - $start" | bc -l) $(echo "$c1 - $c0" | bc -l)"
}

echo "machine: nproc=$(nproc), $(free -m | awk '/^Mem:/ { print $2 " MiB" }'), kernel $(uname -r), $(rustc --version)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "target dir: $target"
if [ -n "$against" ]; then echo "against: $against (target dir $target-against)"; fi

for variant in "${variants[@]}"; do
    for name in all-objects five-objects; do
        cp "$(tree_of "$variant")/Cargo.lock" "$(tree_of "$variant")/benches/fixtures/$name/Cargo.lock"
        echo "building $name ($variant) and its dependencies once..."
        build "$variant" "$name"
    done
done

clean() { # variant, fixture
    CARGO_TARGET_DIR=$(target_of "$1") cargo clean --quiet \
        --manifest-path "$(tree_of "$1")/benches/fixtures/$2/Cargo.toml" -p "bench-$2"
}

touch_main() { # variant, fixture
    touch "$(tree_of "$1")/benches/fixtures/$2/src/main.rs"
}

# run LABEL FIXTURE PREPARE: $runs timed builds of each variant, alternating, PREPARE before each
run() {
    local label=$1 name=$2 prepare=$3 variant i t
    local -A walls=() cpus=()
    for i in $(seq "$runs"); do
        for variant in "${variants[@]}"; do
            "$prepare" "$variant" "$name"
            t=$(timed_build "$variant" "$name")
            walls[$variant]+="${t% *} "
            cpus[$variant]+="${t#* } "
            printf '%s %s (%s) run %d: %.2f s wall, %.2f s CPU\n' "$label" "$name" "$variant" "$i" "${t% *}" "${t#* }"
        done
    done
    for variant in "${variants[@]}"; do
        # shellcheck disable=SC2086 # one number per word
        printf 'RESULT %s %s (%s): wall %s\n' "$label" "$name" "$variant" "$(printf '%s\n' ${walls[$variant]:-} | stats)"
        # shellcheck disable=SC2086
        printf 'RESULT %s %s (%s): CPU %s\n' "$label" "$name" "$variant" "$(printf '%s\n' ${cpus[$variant]:-} | stats)"
    done
}

run "full build" all-objects clean
run "full build" five-objects clean
run "incremental (touch src/main.rs)" five-objects touch_main

if [ "$timings" = 1 ]; then
    for variant in "${variants[@]}"; do
        for name in all-objects five-objects; do
            clean "$variant" "$name"
            build "$variant" "$name" --timings
            report="$(target_of "$variant")/cargo-timings/cargo-timing.html"
            echo "timings of $name ($variant, $report):"
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
    done
fi
