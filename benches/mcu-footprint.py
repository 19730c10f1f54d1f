#!/usr/bin/env python3
"""Footprint of the emulated microcontroller device (BENCHMARKS.md, "Microcontroller footprint";
issue 13 item 5).

    python3 benches/mcu-footprint.py [--sections]

1. Builds the firmware (`examples/mcu-device/run --build-only`) and reads its sections with
   `arm-none-eabi-size -A`: flash = .vector_table + .text + .rodata + .data, static RAM =
   .data + .bss, of which the heap arena (the firmware's HEAP_SIZE) is reported apart.
2. Runs a scripted session against the aiocoap LwM2M server (tests/peers/lwm2m_server.py, as
   installed by tests/peers/install.sh): register, reads of /3/0 and /3303/0 in every format the
   device serves (text per resource, TLV, SenML JSON, SenML CBOR, LwM2M CBOR, OMA JSON), a
   discover, write-attributes and an observe of the temperature for 5 s, a write; then SIGTERM,
   on which the device deregisters and prints its high-water marks (heap: the most bytes
   allocated at once; stack: the deepest byte written below the painted stack).
3. Prints flash, static RAM, peak heap, peak stack and RAM = static (without the arena) + peak
   heap + peak stack, against the goals (flash <= 64 KiB, RAM <= 24 KiB), and the RAM the
   firmware provisions: static with the arena + peak stack.

Needs the peers (bash tests/peers/install.sh), qemu-system-arm and binutils-arm-none-eabi.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, "target", "peers", "venv", "bin", "python")
SERVER = os.path.join(ROOT, "tests", "peers", "lwm2m_server.py")
RUN = os.path.join(ROOT, "examples", "mcu-device", "run")
HEAP_RS = os.path.join(ROOT, "examples", "mcu-device", "firmware", "src", "heap.rs")
EP = "mcu-footprint"


def sections(elf):
    out = subprocess.run(["arm-none-eabi-size", "-A", elf], check=True, capture_output=True, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes, out


def heap_size():
    """The firmware's HEAP_SIZE: a product of integer literals, such as `14 * 1024`."""
    text = open(HEAP_RS).read()
    m = re.search(r"pub const HEAP_SIZE: usize = ([0-9_ *]+);", text)
    if not m:
        sys.exit("no `pub const HEAP_SIZE: usize = N [* M];` in %s" % HEAP_RS)
    size = 1
    for factor in m.group(1).split("*"):
        size *= int(factor.strip().replace("_", ""))
    return size


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port):
        self.proc = subprocess.Popen([PYTHON, SERVER, str(port)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.next_id = 1
        self.events = []
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            sys.exit("the aiocoap server did not start: %r" % line)

    def line(self):
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("the aiocoap server stopped")
        return line.rstrip("\n")

    def wait_event(self, name, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            line = self.line()
            if line.startswith("E "):
                _, _, body = line.split(" ", 2)
                self.events.append(json.loads(body))
        sys.exit("no %s event" % name)

    def request(self, **cmd):
        cmd.setdefault("ep", EP)
        cmd["id"] = self.next_id
        self.next_id += 1
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        while True:
            line = self.line()
            if line.startswith("E "):
                _, _, body = line.split(" ", 2)
                self.events.append(json.loads(body))
            elif line.startswith("R %d " % cmd["id"]):
                reply = json.loads(line.split(" ", 2)[2])
                if not reply.get("ok"):
                    sys.exit("%s failed: %s" % (cmd, reply))
                return reply

    def stop(self):
        try:
            self.proc.stdin.write('{"op": "stop"}\n')
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=10)


def main():
    elf = subprocess.run([RUN, "--build-only"], check=True, capture_output=True, text=True).stdout.strip()
    sizes, table = sections(elf)
    if "--sections" in sys.argv:
        print(table)
    flash = sum(sizes.get(s, 0) for s in (".vector_table", ".text", ".rodata", ".data"))
    static = sizes.get(".data", 0) + sizes.get(".bss", 0)
    arena = heap_size()

    port = free_port()
    server = Server(port)
    device = subprocess.Popen([RUN, "--server", "coap://127.0.0.1:%d" % port, "--endpoint", EP, "--lifetime", "60"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        server.wait_event("registration")
        formats = {"TLV": 11542, "SenML JSON": 110, "SenML CBOR": 112, "LwM2M CBOR": 11544, "OMA JSON": 11543}
        served = []
        for path in ("/3/0", "/3303/0"):
            for name, cf in formats.items():
                reply = server.request(op="read", path=path, accept=cf)
                if reply["code"] == "2.05":
                    served.append("%s %s" % (path, name))
        for path in ("/3/0/0", "/3/0/13", "/3303/0/5700"):
            server.request(op="read", path=path, accept=0)
        server.request(op="discover", path="/3303/0")
        server.request(op="write-attributes", path="/3303/0/5700", query="pmin=1&pmax=2")
        server.request(op="observe", path="/3303/0/5700", accept=112)
        time.sleep(5)
        server.request(op="write", path="/3303/0/5750", content_format=0, payload="greenhouse")
        server.request(op="read", path="/3303/0/5750", accept=0)
        notifications = sum(1 for e in server.events if e["event"] == "notify")
        device.send_signal(signal.SIGTERM)
        out, _ = device.communicate(timeout=30)
    finally:
        if device.poll() is None:
            device.kill()
        server.stop()
    m = re.search(r"peak (\d+) B in use, (\d+) B extent, of (\d+) B; stack peak (\d+) B", out)
    if not m:
        sys.exit("no measurements from the device:\n" + out)
    heap_peak, heap_extent, _, stack_peak = (int(g) for g in m.groups())
    ram = static - arena + heap_peak + stack_peak
    kib = lambda n: "%.1f KiB" % (n / 1024)
    print("served: %s; %d notifications" % (", ".join(served), notifications))
    print("flash (.vector_table + .text + .rodata + .data): %d B = %s (goal <= 64 KiB)" % (flash, kib(flash)))
    print("  .text %d, .rodata %d, .data %d, .vector_table %d" % (
        sizes.get(".text", 0), sizes.get(".rodata", 0), sizes.get(".data", 0), sizes.get(".vector_table", 0)))
    print("static RAM (.data + .bss): %d B, of which the heap arena %d B" % (static, arena))
    print("peak heap: %d B in use (%d B extent); peak stack: %d B" % (heap_peak, heap_extent, stack_peak))
    print("RAM = static without the arena + peak heap + peak stack: %d B = %s (goal <= 24 KiB)" % (ram, kib(ram)))
    print("RAM as provisioned = static with the arena + peak stack: %d B = %s" % (static + stack_peak, kib(static + stack_peak)))


if __name__ == "__main__":
    main()
