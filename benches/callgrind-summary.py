# Per-request figures of callgrind dumps of demo-client (benches/serving-callgrind.sh): total
# instructions, the inclusive counts of handle_datagram, the store's read (`read_refs`, the lent
# read; `read_all` in builds before it) and the encoder (`codec::encode_as`; `codec::encode`
# before), and heap allocations (malloc/realloc/calloc calls), each divided by the requests served.
# usage: python3 benches/callgrind-summary.py LABEL CALLGRIND_FILE...
import sys,re,collections,subprocess
# What each figure is called in the build measured: the first name found counts.
# A function may be listed several times (per source file of its inlined parts, and once with the
# binary's name in brackets): the largest inclusive count is the function's.
KEYS={'handle_datagram':['Client::handle_datagram'],'store_read':['read_refs','read_all'],
      'handle_request':['Engine>::handle_request'],'encode':['codec::encode_as','codec::encode']}
def parse(f):
    names={}; fn=None; cfn=None
    incl=collections.Counter(); calls=collections.Counter(); callers=collections.Counter()
    # inclusive via callgrind_annotate
    out=subprocess.run(['callgrind_annotate','--inclusive=yes','--auto=no','--threshold=100',f],capture_output=True,text=True).stdout
    tot=None; found=dict.fromkeys(KEYS)
    for line in out.split('\n'):
        m=re.match(r'^\s*([\d,]+) .*PROGRAM TOTALS',line)
        if m: tot=int(m.group(1).replace(',',''))
        m=re.match(r'^\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+?):(.*)$',line)
        if m:
            v=int(m.group(1).replace(',','')); name=m.group(3)
            name=re.sub(r' \[.*\]$','',name)
            for key,aliases in KEYS.items():
                for a in aliases:
                    if name.endswith(a):
                        if found[key] in (None,a): found[key]=a; incl[key]=max(incl[key],v)
                        break
    for line in open(f,errors='replace'):
        line=line.rstrip('\n')
        m=re.match(r'^(fn|cfn)=\((\d+)\)(?: (.*))?$',line)
        if m:
            kind,id_,name=m.groups()
            if name: names[id_]=name
            if kind=='fn': fn=id_
            else: cfn=id_
            continue
        m=re.match(r'^calls=(\d+)',line)
        if m and cfn is not None:
            n=names.get(cfn,'')
            calls[n]+=int(m.group(1))
            if n.split(' ')[0] in ('malloc','realloc','calloc'):
                callers[names.get(fn,'')]+=int(m.group(1))
    req=sum(v for k,v in calls.items() if 'Engine>::handle_request' in k)
    store=sum(v for k,v in callers.items() if re.search(r'dyn_read|read_multiple|read_all|read_refs|lend|finish_grow',k))
    # finish_grow includes push_values reserve (1 per request): count separately
    mal=sum(callers.values())
    return tot,req,incl,mal,store
label=sys.argv[1]
for f in sys.argv[2:]:
    tot,req,incl,mal,store=parse(f)
    print(f"{label} {f.split('/')[-1]}: requests={req} total/req={tot/req:.0f} handle_datagram/req={incl['handle_datagram']/req:.0f} store_read/req={incl['store_read']/req:.0f} encode/req={incl['encode']/req:.0f} mallocs/req={mal/req:.2f} (store side incl. reserve: {store/req:.2f})")
