#!/usr/bin/env python3
"""A small scripted LwM2M server on aiocoap, for the end-to-end tests of lwm2m-rs.

    target/peers/venv/bin/python tests/peers/lwm2m_server.py PORT

Serves the registration interface at /rd on 127.0.0.1:PORT (Register answers 2.01 with the
Location-Path options `rd`, `<n>`; Update answers 2.04; De-register 2.02) and sends device
management requests back to the client from the same socket. It prints `READY <port>`, then one
line per message on stdout, `E <event> <json>` or `R <id> <json>`:

- events: {"event": "registration"|"update"|"deregistration"|"notify"|"send", "t": SECONDS, ...},
  where "t" is the arrival time on this process's monotonic clock (seconds, float); a Send
  (`POST /dp`, answered 2.04) is {"event": "send", "content_format", "payload_hex", "decoded",
  "resolved"}, where "resolved" lists the SenML records resolved as RFC 8428 §4.6 says (name =
  bn + n, time = bt + t, bn and bt carried over): [{"n": name, "t": time, "v"|"vs"|...: value}];
- replies to the commands read from stdin (one JSON object per line; "id" is echoed back):
  {"id": N, "ok": true, ...} or {"id": N, "ok": false, "error": "..."}.

A response to a device-management request is reported as {"code": "2.05", "content_format": N,
"payload_hex": "...", "decoded": ..., "location": "/o/i" (if any)}. "decoded" is the payload decoded
by content format: text and link format as a string, TLV as a tree of {"type","id","value_hex" or
"children"}, SenML JSON with json, SenML CBOR and LwM2M CBOR with cbor2 (map keys become strings,
byte strings become {"bytes_hex": ...}), opaque as hex.

Commands ("ep" selects a registered client; requests go to the address of its last
Register/Update):
  wait-registration {ep, timeout_ms}            -> {"registration": {...}}
  registrations {}                              -> {"registrations": [...]}
  read {ep, path, accept?}                      GET
  write {ep, path, content_format, payload | payload_hex, method? ("PUT" | "POST")}
  execute {ep, path, payload?}                  POST
  create {ep, path, content_format, payload | payload_hex}   POST on an object
  delete {ep, path}                             DELETE
  discover {ep, path}                           GET, Accept: application/link-format
  write-attributes {ep, path, query}            PUT with Uri-Query "pmin=1&pmax=5", no payload
  observe {ep, path, accept?}                   GET Observe=0 -> first response and {"obs": K};
                                                every notification is a "notify" event with "obs": K
  cancel {obs}                                  forget the observation (the next notification is
                                                answered with RST, a "passive cancel")
  cancel-active {obs}                           GET with Observe=1 on the same path (for an Observe-
                                                Composite the same FETCH with Observe=1), then forget it
  observe-composite {ep, paths, content_format?, accept?}  FETCH / with Observe=0 and the SenML
                                                paths -> first response and {"obs": K}; notifications
                                                are "notify" events with "obs": K
  composite-read {ep, paths, content_format?, accept?}  FETCH / with SenML records {"n": path}
  composite-write {ep, content_format, payload | payload_hex}  iPATCH / with SenML records
  block-read {ep, path, szx, accept?}           GET with Block2 driven by hand: every block,
                                                {"blocks": n, "sizes": [...], "payload_hex": ...}
  foreign {ep, path, method?, timeout_ms?}      the same request from a second socket (another port):
                                                {"answered": bool, "code": ..., "rst": bool}
  forget {ep}                                   drop the registration location: the next Update gets
                                                4.04 (requests still reach the client's address)
  read-after-update {ep, path, accept?, timeout_ms?}  hold a read until the endpoint's next Update (a
                                                server's way with a client in queue mode), then GET:
                                                the response and "update_t", the Update's time
  serve-file {path, payload_hex, etag?, stall_at?}
                                                serve the bytes at GET PATH on this peer's port (a
                                                firmware file server): Block2 sliced per request
                                                from the bytes (stateless, so a download resumes on
                                                a restarted peer), ETag given or "e1"; each GET is a
                                                {"event": "file-get", "path", "block", "szx"} event;
                                                from block stall_at on, GETs are never answered
  parallel {ops: [command, ...]}                the commands (each with its own "op" and "ep") run
                                                concurrently: {"results": [reply, ...]} in order,
                                                each reply {"ok": ...} as if sent alone
  stop {}                                       exits

Bootstrap-Server role: `POST /bs?ep=NAME` (Bootstrap-Request) is answered 2.04 and reported as a
{"event": "bootstrap-request", "ep", "query", "address"} event. A command with "bootstrap": true
goes to the address of that endpoint's last Bootstrap-Request instead of its registration, so the
commands above act as Bootstrap-Write (write), Bootstrap-Delete (delete), Bootstrap-Discover
(discover) and Bootstrap-Finish (execute with path "/bs"):
  wait-bootstrap {ep, timeout_ms}               -> {"bootstrap": {...}}
"""

import asyncio
import binascii
import json
import sys
import time

import cbor2
import aiocoap
import aiocoap.error
import aiocoap.resource
from aiocoap import Code, Message
from aiocoap.numbers.types import Type
from aiocoap.optiontypes import BlockOption

T0 = time.monotonic()


def now():
    return round(time.monotonic() - T0, 4)


def emit(obj):
    """Writes `E <event> <json>` for an event, `R <id> <json>` for the reply to command <id>."""
    if "event" in obj:
        head = "E %s " % obj["event"]
    else:
        head = "R %s " % obj.get("id")
    sys.stdout.write(head + json.dumps(obj) + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------- payload decoding


def jsonable(value):
    """Makes a cbor2 result JSON-friendly: map keys as strings, bytes as hex."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return {"bytes_hex": bytes(value).hex()}
    if isinstance(value, cbor2.CBORTag):
        return {"tag": value.tag, "value": jsonable(value.value)}
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value


TLV_TYPES = {0: "object_instance", 1: "resource_instance", 2: "multiple_resource", 3: "resource"}


def decode_tlv(data):
    """Decodes OMA TLV into a list of entries; raises ValueError on malformed input."""
    out = []
    pos = 0
    while pos < len(data):
        head = data[pos]
        pos += 1
        kind = (head >> 6) & 0x3
        id_len = 2 if head & 0x20 else 1
        len_type = (head >> 3) & 0x3
        if pos + id_len > len(data):
            raise ValueError("TLV truncated in identifier")
        ident = int.from_bytes(data[pos : pos + id_len], "big")
        pos += id_len
        if len_type == 0:
            length = head & 0x7
        else:
            if pos + len_type > len(data):
                raise ValueError("TLV truncated in length")
            length = int.from_bytes(data[pos : pos + len_type], "big")
            pos += len_type
        if pos + length > len(data):
            raise ValueError("TLV value longer than the payload")
        value = data[pos : pos + length]
        pos += length
        entry = {"type": TLV_TYPES[kind], "id": ident}
        if kind in (0, 2):
            entry["children"] = decode_tlv(value)
        else:
            entry["value_hex"] = value.hex()
        out.append(entry)
    return out


def flatten_lwm2m_cbor(tree, prefix=()):
    """LwM2M CBOR (11544) nested maps, whose keys are ids or arrays of ids, as {"/o/i/r": value}."""
    out = {}
    if not isinstance(tree, dict):
        out["/" + "/".join(str(p) for p in prefix)] = jsonable(tree)
        return out
    for key, value in tree.items():
        ids = tuple(key) if isinstance(key, (list, tuple)) else (key,)
        if not all(isinstance(i, int) for i in ids):
            raise ValueError("LwM2M CBOR key %r is not an id or an array of ids" % (key,))
        out.update(flatten_lwm2m_cbor(value, prefix + ids))
    return out


def decode_payload(cf, payload):
    """Decodes a payload by its content format; None when there is no payload or no known format."""
    if not payload:
        return None
    try:
        if cf in (0, 1541, 40):
            return payload.decode("utf-8")
        if cf in (11542, 1542):
            return decode_tlv(payload)
        if cf in (110, 1543, 11543):
            return json.loads(payload.decode("utf-8"))
        if cf == 11544:
            tree = cbor2.loads(payload)
            return {"tree": jsonable(tree), "paths": flatten_lwm2m_cbor(tree)}
        if cf in (112, 60):
            return jsonable(cbor2.loads(payload))
        if cf in (42, 1544):
            return payload.hex()
    except Exception as e:  # the tests assert on this: a payload that does not decode
        return {"decode_error": "%s: %s" % (type(e).__name__, e)}
    return None


def summary(resp):
    cf = resp.opt.content_format
    cf = int(cf) if cf is not None else None
    out = {
        "code": "%d.%02d" % (int(resp.code) >> 5, int(resp.code) & 0x1F),
        "content_format": cf,
        "payload_hex": resp.payload.hex(),
        "decoded": decode_payload(cf, resp.payload),
    }
    if resp.opt.location_path:
        out["location"] = "/" + "/".join(resp.opt.location_path)
    if resp.opt.observe is not None:
        out["observe"] = resp.opt.observe
    if resp.opt.block2 is not None:
        b = resp.opt.block2
        out["block2"] = {"num": b.block_number, "more": bool(b.more), "szx": b.size_exponent}
    return out


SENML_CBOR_LABELS = {-2: "bn", -3: "bt", 0: "n", 2: "v", 3: "vs", 4: "vb", 6: "t", 8: "vd"}


def resolve_senml(records):
    """RFC 8428 §4.6 resolved records: name = bn + n and time = bt + t, where the base name and
    base time hold until a record sets another; CBOR integer labels are read as their names."""
    bn, bt, out = "", 0, []
    for record in records:
        record = {SENML_CBOR_LABELS.get(k, k): v for k, v in record.items()}
        bn = record.get("bn", bn)
        bt = record.get("bt", bt)
        resolved = {"n": bn + record.get("n", ""), "t": bt + record.get("t", 0)}
        for label in ("v", "vs", "vb", "vd", "vlo"):
            if label in record:
                resolved[label] = jsonable(record[label])
        out.append(resolved)
    return out


def send_event(request):
    """The `send` event of a Send (`POST /dp`): the payload decoded and resolved."""
    cf = int(request.opt.content_format) if request.opt.content_format is not None else None
    event = {
        "event": "send",
        "t": now(),
        "address": request.remote.hostinfo,
        "content_format": cf,
        "payload_hex": request.payload.hex(),
        "decoded": decode_payload(cf, request.payload),
    }
    try:
        if cf == 112:
            event["resolved"] = resolve_senml(cbor2.loads(request.payload))
        elif cf == 110:
            event["resolved"] = resolve_senml(json.loads(request.payload.decode("utf-8")))
    except Exception as e:  # the tests assert on this: a pack that does not resolve
        event["resolve_error"] = "%s: %s" % (type(e).__name__, e)
    return event


# ---------------------------------------------------------------- registration interface


class Registrations:
    def __init__(self):
        self.by_ep = {}
        self.by_loc = {}
        self.next = 1
        self.waiters = []

    def notify(self):
        for fut in self.waiters:
            if not fut.done():
                fut.set_result(None)
        self.waiters = []


REG = Registrations()

# The Bootstrap-Requests received, by endpoint (the Bootstrap-Server role).
BOOT = Registrations()


def query_params(request):
    params = {}
    for q in request.opt.uri_query:
        k, _, v = q.partition("=")
        params[k] = v
    return params


# Files served by GET (the firmware file server role): path tuple -> {"data", "etag", "stall_at"}.
FILES = {}


async def serve_file(request, served):
    """One block of a served file, sliced from the bytes as the request's Block2 asks (block 0
    of the peer's preferred size without one)."""
    block2 = request.opt.block2
    szx = min(block2.size_exponent, 6) if block2 is not None else 6
    num = block2.block_number if block2 is not None else 0
    size = 2 ** (szx + 4)
    data = served["data"]
    start = num * size
    emit({"event": "file-get", "t": now(), "path": "/" + "/".join(request.opt.uri_path), "block": num, "szx": szx})
    if served.get("stall_at") is not None and num >= served["stall_at"]:
        await asyncio.sleep(3600)
    if start > len(data) or (start == len(data) and start > 0):
        return Message(code=Code.BAD_OPTION)
    chunk = data[start:start + size]
    more = start + size < len(data)
    msg = Message(code=Code.CONTENT, payload=chunk, etag=served["etag"])
    msg.opt.block2 = (num, more, szx)
    if num == 0:
        msg.opt.size2 = len(data)
    return msg


class RdResource(aiocoap.resource.Resource, aiocoap.resource.PathCapable):
    """The whole site: /rd (Register), /rd/<n> (Update, De-register) and /dp (Send), and the
    files of serve-file; anything else is 4.04."""

    async def needs_blockwise_assembly(self, request):
        # Served files slice their blocks themselves (aiocoap's cache of a response for its later
        # blocks would not survive a restart of the peer).
        return not (request.code == Code.GET and tuple(request.opt.uri_path) in FILES)

    async def render(self, request):
        path = list(request.opt.uri_path)
        served = FILES.get(tuple(path))
        if served is not None and request.code == Code.GET:
            return await serve_file(request, served)
        if path == ["bs"] and request.code == Code.POST:
            return bootstrap_request(request)
        if path == ["dp"] and request.code == Code.POST:
            emit(send_event(request))
            return Message(code=Code.CHANGED)
        if path[:1] != ["rd"]:
            return Message(code=Code.NOT_FOUND)
        path = path[1:]
        params = query_params(request)
        remote = request.remote
        if path == [] and request.code == Code.POST:
            ep = params.get("ep")
            if not ep:
                return Message(code=Code.BAD_REQUEST, payload=b"missing ep")
            old = REG.by_ep.get(ep)
            if old is not None:
                REG.by_loc.pop(old["loc"], None)
            loc = str(REG.next)
            REG.next += 1
            reg = {
                "ep": ep,
                "lt": params.get("lt"),
                "lwm2m": params.get("lwm2m"),
                "b": params.get("b"),
                "query": list(request.opt.uri_query),
                "links": request.payload.decode("utf-8", "replace"),
                "content_format": int(request.opt.content_format)
                if request.opt.content_format is not None
                else None,
                "location": "/rd/" + loc,
                "loc": loc,
                "address": remote.hostinfo,
                "_remote": remote,
            }
            REG.by_ep[ep] = reg
            REG.by_loc[loc] = reg
            emit(dict(event="registration", t=now(), **public(reg)))
            REG.notify()
            return Message(code=Code.CREATED, location_path=["rd", loc])
        if len(path) == 1 and path[0] in REG.by_loc:
            reg = REG.by_loc[path[0]]
            if request.code == Code.POST:
                for k in ("lt", "b", "sms"):
                    if k in params:
                        reg[k] = params[k]
                if request.payload:
                    reg["links"] = request.payload.decode("utf-8", "replace")
                reg["address"] = remote.hostinfo
                reg["_remote"] = remote
                reg["updated_t"] = now()
                REG.notify()
                emit(
                    dict(
                        event="update",
                        t=now(),
                        ep=reg["ep"],
                        query=list(request.opt.uri_query),
                        payload=request.payload.decode("utf-8", "replace"),
                        address=remote.hostinfo,
                    )
                )
                return Message(code=Code.CHANGED)
            if request.code == Code.DELETE:
                del REG.by_loc[path[0]]
                REG.by_ep.pop(reg["ep"], None)
                emit(dict(event="deregistration", t=now(), ep=reg["ep"], address=remote.hostinfo))
                return Message(code=Code.DELETED)
            return Message(code=Code.METHOD_NOT_ALLOWED)
        return Message(code=Code.NOT_FOUND)


def bootstrap_request(request):
    """Bootstrap-Request `POST /bs?ep=NAME`: remembered (so that "bootstrap": true commands reach
    the client) and answered 2.04."""
    ep = query_params(request).get("ep")
    if not ep:
        return Message(code=Code.BAD_REQUEST, payload=b"missing ep")
    remote = request.remote
    boot = {
        "ep": ep,
        "query": list(request.opt.uri_query),
        "address": remote.hostinfo,
        "_remote": remote,
    }
    BOOT.by_ep[ep] = boot
    emit(dict(event="bootstrap-request", t=now(), **public(boot)))
    BOOT.notify()
    return Message(code=Code.CHANGED)


def public(reg):
    return {k: v for k, v in reg.items() if not k.startswith("_") and k != "loc"}


async def wait_until(table, done, cmd, default_ms, what):
    """Waits until done() holds, woken by `table`'s notify(), for at most the command's
    "timeout_ms" (default_ms without one); LookupError naming `what` after that."""
    timeout_ms = cmd.get("timeout_ms", default_ms)
    deadline = time.monotonic() + float(timeout_ms) / 1000.0
    while not done():
        left = deadline - time.monotonic()
        if left <= 0:
            raise LookupError("no %s of %r within %s ms" % (what, cmd.get("ep"), timeout_ms))
        fut = asyncio.get_event_loop().create_future()
        table.waiters.append(fut)
        try:
            await asyncio.wait_for(fut, left)
        except asyncio.TimeoutError:
            pass


# ---------------------------------------------------------------- device management


class Server:
    def __init__(self, ctx, port):
        self.ctx = ctx
        self.port = port
        self.observations = {}
        self.next_obs = 1
        self.foreign_ctx = None

    def reg(self, cmd):
        ep = cmd.get("ep")
        if cmd.get("bootstrap"):
            boot = BOOT.by_ep.get(ep)
            if boot is None:
                raise KeyError("no bootstrap request from endpoint %r" % ep)
            return boot
        reg = REG.by_ep.get(ep)
        if reg is None:
            raise KeyError("no registration for endpoint %r" % ep)
        return reg

    def message(self, cmd, code, path=None, **kw):
        reg = self.reg(cmd)
        path = cmd.get("path", "/") if path is None else path
        segments = [s for s in path.split("/") if s != ""]
        msg = Message(code=code, uri_path=segments, **kw)
        msg.remote = reg["_remote"]
        return msg

    @staticmethod
    def payload_of(cmd):
        if "payload_hex" in cmd:
            return binascii.unhexlify(cmd["payload_hex"])
        p = cmd.get("payload")
        if p is None:
            return b""
        if isinstance(p, str):
            return p.encode("utf-8")
        return json.dumps(p).encode("utf-8")

    async def send(self, msg, timeout=30.0, handle_blockwise=True):
        resp = await asyncio.wait_for(self.ctx.request(msg, handle_blockwise=handle_blockwise).response, timeout)
        return summary(resp)

    async def op_read(self, cmd):
        kw = {}
        if cmd.get("accept") is not None:
            kw["accept"] = int(cmd["accept"])
        return await self.send(self.message(cmd, Code.GET, **kw))

    async def op_write(self, cmd):
        method = Code.POST if cmd.get("method", "PUT").upper() == "POST" else Code.PUT
        kw = {"payload": self.payload_of(cmd)}
        if cmd.get("content_format") is not None:
            kw["content_format"] = int(cmd["content_format"])
        return await self.send(self.message(cmd, method, **kw))

    async def op_execute(self, cmd):
        return await self.send(self.message(cmd, Code.POST, payload=self.payload_of(cmd)))

    async def op_create(self, cmd):
        kw = {"payload": self.payload_of(cmd)}
        if cmd.get("content_format") is not None:
            kw["content_format"] = int(cmd["content_format"])
        return await self.send(self.message(cmd, Code.POST, **kw))

    async def op_delete(self, cmd):
        return await self.send(self.message(cmd, Code.DELETE))

    async def op_discover(self, cmd):
        return await self.send(self.message(cmd, Code.GET, accept=40))

    async def op_write_attributes(self, cmd):
        query = [q for q in str(cmd.get("query", "")).split("&") if q]
        return await self.send(self.message(cmd, Code.PUT, uri_query=query))

    async def op_observe(self, cmd):
        kw = {"observe": 0}
        if cmd.get("accept") is not None:
            kw["accept"] = int(cmd["accept"])
        msg = self.message(cmd, Code.GET, **kw)
        return await self.start_observation(cmd, msg)

    async def start_observation(self, cmd, msg):
        req = self.ctx.request(msg)
        first = await asyncio.wait_for(req.response, 30.0)
        out = summary(first)
        out["t"] = now()
        if req.observation is None or first.opt.observe is None:
            out["obs"] = None
            return out
        k = self.next_obs
        self.next_obs += 1
        ep, path = cmd.get("ep"), cmd.get("path", "/")
        self.observations[k] = {"req": req, "cmd": cmd, "msg": msg}

        async def pump():
            try:
                async for n in req.observation:
                    emit(dict(event="notify", obs=k, ep=ep, path=path, t=now(), **summary(n)))
            except Exception as e:
                emit(dict(event="notify-end", obs=k, ep=ep, path=path, t=now(), error=repr(e)))
            else:
                emit(dict(event="notify-end", obs=k, ep=ep, path=path, t=now()))

        self.observations[k]["task"] = asyncio.ensure_future(pump())
        out["obs"] = k
        return out

    def forget(self, k):
        entry = self.observations.pop(int(k), None)
        if entry is None:
            raise KeyError("no observation %r" % k)
        obs = entry["req"].observation
        if obs is not None and not obs.cancelled:
            obs.cancel()
        entry["task"].cancel()
        return entry

    async def op_observe_composite(self, cmd):
        """FETCH / with Observe=0 and the SenML path list: notifications are "notify" events."""
        cf = int(cmd.get("content_format", 110))
        accept = int(cmd.get("accept", cf))
        if cf == 112:
            body = cbor2.dumps([{0: p} for p in cmd["paths"]])
        else:
            body = json.dumps([{"n": p} for p in cmd["paths"]]).encode("utf-8")
        msg = self.message(cmd, Code.FETCH, path="/", content_format=cf, accept=accept,
                           payload=body, observe=0)
        return await self.start_observation(cmd, msg)

    async def op_cancel(self, cmd):
        self.forget(cmd["obs"])
        return {}

    async def op_cancel_active(self, cmd):
        entry = self.forget(cmd["obs"])
        ocmd = entry["cmd"]
        original = entry.get("msg")
        if original is not None and original.code == Code.FETCH:
            # Cancel Observation-Composite: the same FETCH with Observe=1.
            msg = self.message(ocmd, Code.FETCH, path="/", content_format=original.opt.content_format,
                               accept=original.opt.accept, payload=original.payload, observe=1)
            return await self.send(msg)
        kw = {"observe": 1}
        if ocmd.get("accept") is not None:
            kw["accept"] = int(ocmd["accept"])
        return await self.send(self.message(ocmd, Code.GET, **kw))

    async def op_composite_read(self, cmd):
        cf = int(cmd.get("content_format", 110))
        accept = int(cmd.get("accept", 110))
        records = [{"n": p} for p in cmd["paths"]]
        if cf == 112:
            body = cbor2.dumps([{0: p} for p in cmd["paths"]])
        else:
            body = json.dumps(records).encode("utf-8")
        msg = self.message(cmd, Code.FETCH, path="/", content_format=cf, accept=accept, payload=body)
        return await self.send(msg)

    async def op_composite_write(self, cmd):
        cf = int(cmd.get("content_format", 110))
        if "payload_hex" in cmd:
            body = bytes.fromhex(cmd["payload_hex"])
        else:
            body = str(cmd.get("payload", "")).encode("utf-8")
        msg = self.message(cmd, Code.iPATCH, path="/", content_format=cf, payload=body)
        return await self.send(msg)

    async def op_block_read(self, cmd):
        szx = int(cmd.get("szx", 2))
        num = 0
        sizes = []
        data = b""
        codes = []
        last = None
        while True:
            kw = {"block2": BlockOption.BlockwiseTuple(num, False, szx)}
            if cmd.get("accept") is not None:
                kw["accept"] = int(cmd["accept"])
            msg = self.message(cmd, Code.GET, **kw)
            resp = await asyncio.wait_for(self.ctx.request(msg, handle_blockwise=False).response, 30.0)
            last = resp
            codes.append("%d.%02d" % (int(resp.code) >> 5, int(resp.code) & 0x1F))
            b = resp.opt.block2
            sizes.append(len(resp.payload))
            data += resp.payload
            if not resp.code.is_successful() or b is None:
                break
            if b.block_number != num:
                raise ValueError("asked block %d, got block %d" % (num, b.block_number))
            if not b.more:
                break
            num += 1
            if num > 10000:
                raise ValueError("more than 10000 blocks")
        out = summary(last)
        out.update(
            blocks=len(sizes),
            sizes=sizes,
            codes=codes,
            payload_hex=data.hex(),
            decoded=decode_payload(out["content_format"], data),
        )
        return out

    async def op_foreign(self, cmd):
        reg = self.reg(cmd)
        if self.foreign_ctx is None:
            self.foreign_ctx = await aiocoap.Context.create_client_context(transports=["udp6"])
        method = {"GET": Code.GET, "PUT": Code.PUT, "POST": Code.POST, "DELETE": Code.DELETE}[
            cmd.get("method", "GET").upper()
        ]
        path = cmd.get("path", "/3/0/0")
        uri = "coap://%s%s" % (reg["address"], path)
        msg = Message(code=method, uri=uri, payload=self.payload_of(cmd))
        if cmd.get("accept") is not None:
            msg.opt.accept = int(cmd["accept"])
        timeout = float(cmd.get("timeout_ms", 5000)) / 1000.0
        req = self.foreign_ctx.request(msg)
        try:
            resp = await asyncio.wait_for(req.response, timeout)
        except asyncio.TimeoutError:
            return {"answered": False, "rst": False, "code": None}
        except (aiocoap.error.ReceivedRST if hasattr(aiocoap.error, "ReceivedRST") else ()) as e:
            return {"answered": False, "rst": True, "code": None, "error": repr(e)}
        except aiocoap.error.Error as e:
            return {"answered": False, "rst": "RST" in repr(e) or "Reset" in repr(e), "code": None, "error": repr(e)}
        out = summary(resp)
        out.update(answered=True, rst=False)
        return out

    async def op_wait_registration(self, cmd):
        await wait_until(REG, lambda: cmd.get("ep") in REG.by_ep, cmd, 10000, "registration")
        return {"registration": public(REG.by_ep[cmd["ep"]])}

    async def op_read_after_update(self, cmd):
        reg = self.reg(cmd)
        seen = reg.get("updated_t")
        await wait_until(REG, lambda: reg.get("updated_t") != seen, cmd, 60000, "Update")
        reply = await self.op_read(cmd)
        reply["update_t"] = reg["updated_t"]
        return reply

    async def op_wait_bootstrap(self, cmd):
        await wait_until(BOOT, lambda: cmd.get("ep") in BOOT.by_ep, cmd, 10000, "bootstrap request")
        return {"bootstrap": public(BOOT.by_ep[cmd["ep"]])}

    async def op_forget(self, cmd):
        """Drops the registration location of `ep` (its next Update gets 4.04), as a server restart
        would; the client's address is kept so that requests can still be sent to it."""
        reg = self.reg(cmd)
        REG.by_loc.pop(reg["loc"], None)
        return {}

    async def op_parallel(self, cmd):
        """Runs several commands at once (so that several requests are in flight together)."""

        async def one(sub):
            op = str(sub.get("op", "")).replace("-", "_")
            fn = getattr(self, "op_" + op, None) if op not in ("parallel", "stop") else None
            try:
                if fn is None:
                    raise ValueError("unknown op %r" % sub.get("op"))
                return dict(ok=True, **(await fn(sub)))
            except asyncio.TimeoutError:
                return {"ok": False, "error": "timeout: the client did not answer"}
            except Exception as e:
                return {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}

        results = await asyncio.gather(*(one(sub) for sub in cmd.get("ops", [])))
        return {"results": list(results)}

    async def op_serve_file(self, cmd):
        path = tuple(s for s in cmd["path"].split("/") if s)
        FILES[path] = {
            "data": binascii.unhexlify(cmd["payload_hex"]),
            "etag": cmd.get("etag", "e1").encode(),
            "stall_at": cmd.get("stall_at"),
        }
        return {"serving": "/" + "/".join(path), "size": len(FILES[path]["data"])}

    async def op_registrations(self, cmd):
        return {"registrations": [public(r) for r in REG.by_ep.values()]}

    async def run(self, cmd):
        cid = cmd.get("id")
        op = str(cmd.get("op", "")).replace("-", "_")
        if op == "stop":
            emit({"id": cid, "ok": True})
            raise SystemExit(0)
        fn = getattr(self, "op_" + op, None)
        try:
            if fn is None:
                raise ValueError("unknown op %r" % cmd.get("op"))
            result = await fn(cmd)
            emit(dict(id=cid, ok=True, **result))
        except SystemExit:
            raise
        except asyncio.TimeoutError:
            emit({"id": cid, "ok": False, "error": "timeout: the client did not answer"})
        except Exception as e:
            emit({"id": cid, "ok": False, "error": "%s: %s" % (type(e).__name__, e)})


async def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: lwm2m_server.py PORT\n")
        raise SystemExit(2)
    port = int(sys.argv[1])
    ctx = await aiocoap.Context.create_server_context(RdResource(), bind=("127.0.0.1", port), transports=["udp6"])
    server = Server(ctx, port)
    emit_line = "READY %d" % port
    sys.stdout.write(emit_line + "\n")
    sys.stdout.flush()

    loop = asyncio.get_event_loop()
    # Commands carry packages of hundreds of KiB in hex (firmware pushes): lines up to 16 MiB.
    reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks = set()
    while True:
        line = await reader.readline()
        if not line:
            break  # the test closed stdin or died: exit so no peer is left running
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
        except ValueError as e:
            emit({"ok": False, "error": "bad JSON: %s" % e})
            continue
        if cmd.get("op") == "stop":
            emit({"id": cmd.get("id"), "ok": True})
            break
        task = asyncio.ensure_future(server.run(cmd))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    for t in tasks:
        t.cancel()
    await ctx.shutdown()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
