"""The user-space link emulator's checksum repair (frames read from a packet socket may carry a partial one)."""

from __future__ import annotations

import pytest

from deploy.hosts.linkem import internet_checksum, with_l4_checksum

ETH = bytes(6) + bytes(6) + b"\x08\x00"


def ipv4(proto: int, payload: bytes) -> bytes:
    header = bytearray.fromhex("4500") + (20 + len(payload)).to_bytes(2, "big")
    header += bytes.fromhex("00004000") + bytes([64, proto]) + b"\0\0" + bytes([10, 0, 0, 1, 10, 0, 0, 2])
    header[10:12] = internet_checksum(bytes(header)).to_bytes(2, "big")
    return ETH + bytes(header) + payload


def l4_verifies(frame: bytes) -> bool:
    ip = frame[14:]
    segment = ip[20:]
    pseudo = ip[12:20] + bytes([0, ip[9]]) + len(segment).to_bytes(2, "big")
    return internet_checksum(pseudo + segment) == 0


def test_the_ipv4_header_checksum_matches_rfc_1071s_example() -> None:
    assert internet_checksum(bytes.fromhex("450000730000400040110000c0a80001c0a800c7")) == 0xB861


@pytest.mark.parametrize(
    ("proto", "segment"),
    [
        (6, bytes.fromhex("1f4022b8") + bytes(8) + bytes.fromhex("5018ffff") + b"\x12\x34" + bytes(2) + b"hello!!"),
        (17, bytes.fromhex("1f4022b8") + (8 + 5).to_bytes(2, "big") + b"\xbe\xef" + b"odd!!"),
    ],
)
def test_a_partial_tcp_or_udp_checksum_is_completed(proto: int, segment: bytes) -> None:
    frame = ipv4(proto, segment)
    assert not l4_verifies(frame)
    fixed = with_l4_checksum(frame)
    assert l4_verifies(fixed) and len(fixed) == len(frame)
    assert with_l4_checksum(fixed) == fixed  # a right checksum stays as it is


def test_frames_that_are_not_tcp_or_udp_over_ipv4_pass_untouched() -> None:
    arp = bytes(12) + b"\x08\x06" + bytes(28)
    icmp = ipv4(1, b"\x08\x00\x00\x00abcd")
    assert with_l4_checksum(arp) == arp and with_l4_checksum(icmp) == icmp
