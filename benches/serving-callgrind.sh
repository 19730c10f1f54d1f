#!/usr/bin/env bash
# Instructions and heap allocations per served request, from callgrind (deterministic: the same
# binary and inputs give the same counts whatever else the machine does; BENCHMARKS.md, "CPU per
# request: the client's own CoAP messages").
# usage: benches/serving-callgrind.sh BIN_DIR ACCEPT [extra demo-client args]
#   BIN_DIR holds lwm2m-load and demo-client built with symbols:
#   CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release -p demo-client -p lwm2m-load
# Serves 9 s of W = 1 reads; counts the 4 s after 5 s of warm-up. Needs valgrind.
set -u
B=$1; ACC=$2; shift 2
OUT=/tmp/h1cg.$ACC.$$
$B/lwm2m-load serve-client --window 1 --duration 9 --register-timeout 30 --accept $ACC --client-cmd \
  "valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$OUT $B/demo-client --server coap://127.0.0.1:{port} --endpoint load $*" > /tmp/h1cg.load.$$ 2>&1 &
LP=$!
sleep 5
pid=$(pgrep -n -f "callgrind-out-file=$OUT")
callgrind_control -i on $pid >/dev/null; sleep 4; callgrind_control -d $pid >/dev/null; wait $LP
F=$OUT.1
callgrind_annotate --inclusive=yes $F > $OUT.txt 2>/dev/null
TOTAL=$(grep -m1 'PROGRAM TOTALS' $OUT.txt | awk '{gsub(",","",$1); print $1}')
# call counts
REQ=$(python3 - "$F" <<'PY'
import sys,re
f=sys.argv[1]
# parse callgrind file: count calls to functions matching names
names={}
cur=None
calls={}
cfn=None
for line in open(f,errors='replace'):
    m=re.match(r'^(fn|cfn)=\((\d+)\)(?: (.*))?$',line.rstrip('\n'))
    if m:
        kind,id_,name=m.groups()
        if name: names[id_]=name
        if kind=='cfn': cfn=id_
        continue
    m=re.match(r'^calls=(\d+)',line)
    if m and cfn is not None:
        calls[cfn]=calls.get(cfn,0)+int(m.group(1))
def total(pred):
    return sum(c for i,c in calls.items() if pred(names.get(i,'')))
req=total(lambda n: 'handle_request' in n and 'Engine' in n)
mal=total(lambda n: n in ('malloc','realloc','calloc') or n.startswith('malloc ') or n.startswith('realloc') or n.startswith('calloc'))
print(req, mal)
PY
)
set -- $REQ
echo "accept=$ACC total=$TOTAL requests=$1 instr/req=$(python3 -c "print(round($TOTAL/$1))") malloc+realloc+calloc/req=$(python3 -c "print(round($2/$1,2))") file=$F"
