#!/usr/bin/env bash
# Footprint (BENCHMARKS.md, "Footprint"; issue 9 item 4).
#
#   benches/footprint.sh [--quick] [--rounds N] [--small] [--profiles [--variants a,b,...]]
#
# With the workspace's release profile (root Cargo.toml):
#   - size of target/release/demo-client as built, and of a `strip`ped copy; its sections
#     (code, read-only data, unwind tables, relocations: what the linker arguments of
#     examples/demo-client/build.rs take out)
#   - the client's peak RSS (VmHWM) after 2 s of serving reads of /3/0 at W = 16, reported by
#     `lwm2m-load serve-client` (N rounds, default 3; --quick: 1 round of 0.5 s), and in one
#     more round what is resident by mapping (the binary, each shared library, heap, other)
#   - heap bytes per extra object instance: benches/fixtures/footprint (a counting global
#     allocator) run with N = 1000 extra Temperature instances (--quick: 10)
#   - `--no-default-features`: the runtime without the tokio driver. demo-client needs tokio, so
#     the figures are the dependency count of `lwm2m` with and without default features, and
#     the stripped size of the footprint fixture (store + derive + SenML CBOR, no tokio).
# With --small, also demo-client built with the workspace's `small` profile (release with
# opt-level "z"): its size, and its VmHWM and reads/s in rounds alternated with the release build.
# With --profiles, also the release-profile matrix: demo-client built with each setting
# (cumulative steps from cargo's default release profile), its stripped size, and reads/s and
# VmHWM from `lwm2m-load serve-client` at W = 16, variants alternated in each round. Each
# variant builds in its own target/bench-profiles/<name> (a full build: several minutes each
# on 2 cores). --variants picks some of: default strip abort cgu1 thin fat fat-s fat-z; all but
# the workspace's own build are linked as cargo links by default (DEMO_CLIENT_LINK=default:
# with unwind tables, without packed relocations).
#
# Runnable on a fresh clone: needs cargo, strip (binutils) and python3 is not required.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=3
quick=0
profiles=0
small=0
only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; rounds=1 ;;
        --rounds) rounds=$2; shift ;;
        --profiles) profiles=1 ;;
        --variants) only=",$2,"; shift ;;
        --small) small=1 ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

target=${CARGO_TARGET_DIR:-$root/target}
kib() { echo $(( ($(stat -c %s "$1") + 1023) / 1024 )); }
stats() { # median and min..max of numbers on stdin
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "median %s (%s..%s, %d runs)\n", m, v[1], v[NR], NR }'
}
load_args() {
    if [ "$quick" = 1 ]; then echo "--quick"; else echo "--duration 2"; fi
}
serve() { # binary -> the lwm2m-load result line
    "$target/release/lwm2m-load" serve-client $(load_args) --window 16 \
        --client-cmd "$1 --server coap://127.0.0.1:{port} --endpoint load" 2>/dev/null | grep '^client '
}
field() { # name, line -> value
    sed -n "s|.* $1=\([0-9.]*\).*|\1|p" <<<"$2"
}

echo "machine: nproc=$(nproc), $(free -m | awk '/^Mem:/ { print $2 " MiB" }'), kernel $(uname -r), $(rustc --version)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- demo-client with the workspace release profile ---------------------------------------
cargo build --quiet --release -p demo-client -p lwm2m-load
bin="$target/release/demo-client"
strip -o "$target/release/demo-client.stripped" "$bin"
echo "RESULT demo-client release as built: $(kib "$bin") KiB; stripped: $(kib "$target/release/demo-client.stripped") KiB"
sections() { # binary -> KiB per group of ELF sections
    size -A "$1" | awk '
        $1 == ".text" { text += $2 } $1 == ".rodata" { ro += $2 }
        $1 ~ /^\.(eh_frame|eh_frame_hdr|gcc_except_table)$/ { eh += $2 }
        $1 ~ /^\.(rela\.dyn|relr\.dyn|rela\.plt)$/ { rel += $2 }
        $1 ~ /^\.data\.rel\.ro$/ { relro += $2 }
        END { printf ".text %.1f, .rodata %.1f, unwind tables %.1f, relocations %.1f, .data.rel.ro %.1f KiB\n",
              text / 1024, ro / 1024, eh / 1024, rel / 1024, relro / 1024 }'
}
echo "RESULT demo-client sections: $(sections "$bin")"

hwm=(); rps=()
for i in $(seq "$rounds"); do
    line=$(serve "$bin")
    echo "serve round $i: $line"
    hwm+=("$(field peer_vm_hwm_kib "$line")")
    rps+=("$(field reads/s "$line")")
done
echo "RESULT demo-client VmHWM KiB at W=16: $(printf '%s\n' "${hwm[@]}" | stats)"
echo "RESULT demo-client reads/s at W=16: $(printf '%s\n' "${rps[@]}" | stats)"

# What is resident, by mapping, 1.5 s into a round (the client's /proc/PID/smaps).
serve "$bin" >/dev/null &
server=$!
sleep 1.5
pid=$(pgrep -n -f "^$bin --server" || true)
if [ -n "$pid" ] && [ -r "/proc/$pid/smaps" ]; then
    resident=$(awk -v bin="$(realpath "$bin")" '
        /^[0-9a-f]+-[0-9a-f]+ / { name = $6; if (name == bin) name = "binary"; else if (name == "") name = "anonymous";
                                  else if (name !~ /^\[/) { n = split(name, p, "/"); name = p[n] } }
        /^Rss:/ { rss[name] += $2 }
        END { for (n in rss) if (rss[n] > 0) printf "%s %d, ", n, rss[n] }' "/proc/$pid/smaps")
    echo "RESULT demo-client resident KiB by mapping at W=16: ${resident%, }"
fi
wait "$server" || true

# --- the `small` profile (opt-level "z"), alternated with the release build ----------------
if [ "$small" = 1 ]; then
    cargo build --quiet --profile small -p demo-client
    small_bin="$target/small/demo-client"
    echo "RESULT demo-client profile small: $(kib "$small_bin") KiB ($(stat -c %s "$small_bin") B); sections: $(sections "$small_bin")"
    declare -A sh sr
    for i in $(seq "$rounds"); do
        for v in release small; do
            if [ "$v" = small ]; then b=$small_bin; else b=$bin; fi
            line=$(serve "$b")
            sh[$v]+="$(field peer_vm_hwm_kib "$line") "
            sr[$v]+="$(field reads/s "$line") "
        done
    done
    for v in release small; do
        echo "RESULT demo-client profile $v VmHWM KiB at W=16: $(tr ' ' '\n' <<<"${sh[$v]}" | grep . | stats); reads/s: $(tr ' ' '\n' <<<"${sr[$v]}" | grep . | stats)"
    done
fi

# --- memory per object instance, and the runtime without tokio -----------------------------
fixture="$root/benches/fixtures/footprint"
cp "$root/Cargo.lock" "$fixture/Cargo.lock"
fixture_target=${BENCH_TARGET_DIR:-$target/bench-fixtures}
CARGO_TARGET_DIR=$fixture_target cargo build --quiet --release --manifest-path "$fixture/Cargo.toml"
n=1000; [ "$quick" = 1 ] && n=10
"$fixture_target/release/bench-footprint" 0
echo "RESULT per instance: $("$fixture_target/release/bench-footprint" "$n" | head -1)"
echo "RESULT footprint fixture (no default features, stripped): $(kib "$fixture_target/release/bench-footprint") KiB"
deps() { cargo tree --quiet -e normal --prefix none "$@" | sort -u | wc -l; }
echo "RESULT crates linked: lwm2m default $(deps -p lwm2m), lwm2m --no-default-features --features derive $(deps -p lwm2m --no-default-features --features derive), demo-client $(deps -p demo-client)"
echo "dropped without default features:"
comm -23 <(cargo tree --quiet -e normal --prefix none -p lwm2m | sed 's/ (.*//' | sort -u) \
         <(cargo tree --quiet -e normal --prefix none -p lwm2m --no-default-features --features derive | sed 's/ (.*//' | sort -u) \
    | tr '\n' ' '; echo

[ "$profiles" = 1 ] || exit 0

# --- release profile matrix -------------------------------------------------------------------
# name|opt-level|lto|codegen-units|panic|strip: cumulative steps from cargo's default, each linked
# as cargo links by default (DEMO_CLIENT_LINK=default).
variants=(
    "default|3|false|16|unwind|none"
    "strip|3|false|16|unwind|symbols"
    "abort|3|false|16|abort|symbols"
    "cgu1|3|false|1|abort|symbols"
    "thin|3|thin|1|abort|symbols"
    "fat|3|fat|1|abort|symbols"
    "fat-s|s|fat|1|abort|symbols"
    "fat-z|z|fat|1|abort|symbols"
)
[ "$quick" = 1 ] && [ -z "$only" ] && only=",default,fat,"
if [ -n "$only" ]; then
    picked=()
    for v in "${variants[@]}"; do
        case "$only" in *",${v%%|*},"*) picked+=("$v") ;; esac
    done
    variants=("${picked[@]}")
fi
for v in "${variants[@]}"; do
    IFS='|' read -r name opt lto cgu panic strip <<<"$v"
    start=$(date +%s)
    CARGO_TARGET_DIR="$target/bench-profiles/$name" DEMO_CLIENT_LINK=default \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt CARGO_PROFILE_RELEASE_LTO=$lto \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=$cgu CARGO_PROFILE_RELEASE_PANIC=$panic \
    CARGO_PROFILE_RELEASE_STRIP=$strip CARGO_PROFILE_RELEASE_DEBUG=false \
        cargo build --quiet --release -p demo-client
    built="$target/bench-profiles/$name/release/demo-client"
    strip -o "$built.stripped" "$built"
    echo "RESULT profile $name (opt-level=$opt lto=$lto codegen-units=$cgu panic=$panic strip=$strip): as built $(kib "$built") KiB, stripped $(kib "$built.stripped") KiB, build $(( $(date +%s) - start )) s"
done
# The workspace's own profile (built above) runs in the same rounds, as "workspace".
variants+=("workspace")
binary_of() {
    if [ "$1" = workspace ]; then echo "$bin"; else echo "$target/bench-profiles/$1/release/demo-client"; fi
}
declare -A vr vh
for i in $(seq "$rounds"); do
    for v in "${variants[@]}"; do
        name=${v%%|*}
        line=$(serve "$(binary_of "$name")")
        vr[$name]+="$(field reads/s "$line") "
        vh[$name]+="$(field peer_vm_hwm_kib "$line") "
    done
done
for v in "${variants[@]}"; do
    name=${v%%|*}
    echo "RESULT profile $name reads/s W=16: $(tr ' ' '\n' <<<"${vr[$name]}" | grep . | stats); VmHWM KiB: $(tr ' ' '\n' <<<"${vh[$name]}" | grep . | stats)"
done
