"""`python -m deploy.hosts.linkem`: a slow, lossy link made in user space, for kernels built without netem.

The kernels of these machines lack `sch_netem` (CONFIG_NET_SCH_NETEM is not set), so `tc qdisc ... netem` answers
"Specified qdisc kind is unknown" and no other qdisc or tc action of theirs delays packets. This program stands
in the middle of one host's link instead: run inside the bridge's namespace, it moves every Ethernet frame
between two interfaces with raw packet sockets, and holds the frames coming *from the host* for `--delay-ms`
and drops `--loss-pct` of them, the way `netem delay D loss L` on the host's own interface would. Frames towards
the host pass untouched. Standard library only; stopped with SIGTERM.
"""

from __future__ import annotations

import argparse
import collections
import random
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
MAX_FRAME = 65536


def _sum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(memoryview(data).cast("H"))  # native order; folded and swapped back below
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def internet_checksum(data: bytes) -> int:
    """RFC 1071's checksum of `data`, as the 16-bit big-endian number to put in a header."""
    folded = ~_sum16(data) & 0xFFFF
    return int.from_bytes(folded.to_bytes(2, sys.byteorder), "big")


def with_l4_checksum(frame: bytes) -> bytes:
    """`frame` with the TCP or UDP checksum of its IPv4 packet computed.

    The kernel leaves that checksum for the hardware to fill (veth "offloads" it, and the receiving end of a
    veth trusts it unchecked), so a frame read from a packet socket can carry a partial one; written again with
    another packet socket, it would reach its receiver with a wrong checksum and be dropped. Frames of any other
    kind (ARP, IPv6, fragments) pass as they are."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    proto = frame[23]
    total = int.from_bytes(frame[16:18], "big")
    fragment = int.from_bytes(frame[20:22], "big") & 0x3FFF
    start, end = 14 + ihl, 14 + total
    offset = {6: 16, 17: 6}.get(proto)
    if offset is None or fragment or end > len(frame) or end - start < offset + 2:
        return frame
    segment = bytearray(frame[start:end])
    segment[offset : offset + 2] = b"\0\0"
    pseudo = frame[26:34] + bytes([0, proto]) + (end - start).to_bytes(2, "big")
    checksum = internet_checksum(pseudo + bytes(segment)) or (0xFFFF if proto == 17 else 0)
    segment[offset : offset + 2] = checksum.to_bytes(2, "big")
    return frame[:start] + bytes(segment) + frame[end:]


def open_raw(interface: str) -> socket.socket:
    """A packet socket that sees every frame of `interface` and sends frames out of it."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((interface, 0))
    sock.settimeout(0.2)
    return sock


class Direction:
    """Frames read from one interface, written to the other after `delay` seconds unless dropped."""

    def __init__(self, src: socket.socket, dst: socket.socket, *, delay: float, loss: float, rng: random.Random):
        self.src, self.dst = src, dst
        self.delay, self.loss, self.rng = delay, loss, rng
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.ready = threading.Condition()
        self.passed = self.dropped = 0

    def receive(self, stop: threading.Event) -> None:
        """Reads frames until `stop`: drops some, queues the rest with their due time."""
        while not stop.is_set():
            try:
                frame, address = self.src.recvfrom(MAX_FRAME)
            except TimeoutError:
                continue
            if address[2] == PACKET_OUTGOING:  # what we wrote ourselves
                continue
            if self.loss and self.rng.random() < self.loss:
                self.dropped += 1
                continue
            with self.ready:
                self.queue.append((time.monotonic() + self.delay, frame))
                self.ready.notify()

    def send(self, stop: threading.Event) -> None:
        """Writes queued frames when they are due (one delay for all, so the queue stays in order)."""
        while not stop.is_set():
            with self.ready:
                while not self.queue and not stop.is_set():
                    self.ready.wait(0.2)
                if not self.queue:
                    continue
                due, frame = self.queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self.ready.wait(wait)
                    continue
                self.queue.popleft()
            try:
                self.dst.send(with_l4_checksum(frame))
                self.passed += 1
            except OSError:  # a frame larger than the link takes: a real link would drop it as well
                self.dropped += 1


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m deploy.hosts.linkem", description=__doc__)
    parser.add_argument("--host-side", required=True, help="the interface whose peer is the host's own")
    parser.add_argument("--net-side", required=True, help="the interface towards the bridge")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--loss-pct", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None, help="for a repeatable pattern of losses")
    args = parser.parse_args(argv)
    host, network = open_raw(args.host_side), open_raw(args.net_side)
    rng = random.Random(args.seed)
    outward = Direction(host, network, delay=args.delay_ms / 1000, loss=args.loss_pct / 100, rng=rng)
    inward = Direction(network, host, delay=0.0, loss=0.0, rng=rng)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [
        threading.Thread(target=fn, args=(stop,), daemon=True) for d in (outward, inward) for fn in (d.receive, d.send)
    ]
    for thread in threads:
        thread.start()
    while not stop.is_set():
        stop.wait(0.5)
    for thread in threads:
        thread.join(timeout=2)
    print(
        f"from the host: {outward.passed} passed, {outward.dropped} dropped; to it: {inward.passed} passed", flush=True
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
