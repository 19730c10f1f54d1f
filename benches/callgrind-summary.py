# Per-request figures of callgrind dumps of demo-client (benches/serving-callgrind.sh): total
# instructions, the inclusive counts of handle_datagram, the store's read_all and the encoder,
# and heap allocations (malloc/realloc/calloc calls), each divided by the requests served.
# usage: python3 benches/callgrind-summary.py LABEL CALLGRIND_FILE...
import sys,re,collections,subprocess
def parse(f):
    names={}; fn=None; cfn=None
    incl=collections.Counter(); calls=collections.Counter(); callers=collections.Counter()
    # inclusive via callgrind_annotate
    out=subprocess.run(['callgrind_annotate','--inclusive=yes','--auto=no','--threshold=100',f],capture_output=True,text=True).stdout
    tot=None
    for line in out.split('\n'):
        m=re.match(r'^\s*([\d,]+) .*PROGRAM TOTALS',line)
        if m: tot=int(m.group(1).replace(',',''))
        m=re.match(r'^\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+?):(.*)$',line)
        if m:
            v=int(m.group(1).replace(',','')); name=m.group(3)
            for key in ['Client::handle_datagram [','read_all [','Engine>::handle_request [','codec::encode [']:
                if key in name and incl[key]==0: incl[key]=v
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
    store=sum(v for k,v in callers.items() if re.search(r'dyn_read|read_multiple|read_all|finish_grow',k))
    # finish_grow includes push_values reserve (1 per request): count separately
    mal=sum(callers.values())
    return tot,req,incl,mal,store
label=sys.argv[1]
for f in sys.argv[2:]:
    tot,req,incl,mal,store=parse(f)
    print(f"{label} {f.split('/')[-1]}: requests={req} total/req={tot/req:.0f} handle_datagram/req={incl['Client::handle_datagram [']/req:.0f} store_read_all/req={incl['read_all [']/req:.0f} encode/req={incl['codec::encode [']/req:.0f} mallocs/req={mal/req:.2f} (store side incl. reserve: {store/req:.2f})")
