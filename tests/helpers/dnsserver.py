#!/usr/bin/env python3
"""dnsserver.py: a tiny authoritative DNS server over UDP on 127.0.0.1, for rl's network
tests. python3 stdlib only.

  dnsserver.py --port 0 --record NAME=IPV4 [--record ...] [--portfile FILE]

A queries for a NAME answer its addresses (a NAME may be given several times), other types
for a known NAME answer NOERROR with no records (AAAA: "no IPv6 address"), unknown names
NXDOMAIN. Names match without case and without a trailing dot. Opcodes other than QUERY get
NOTIMP, queries that do not parse FORMERR. The bound port is written to FILE (atomically, so a
reader never sees half of it) or else printed on stdout, once the socket is ready. Runs until
killed.
"""
import argparse
import ipaddress
import os
import socket
import struct
import sys

TYPE_A = 1
CLASS_IN = 1
TTL = 60
NOERROR, FORMERR, NXDOMAIN, NOTIMP = 0, 1, 3, 4


def parse_question(msg):
    """(name, qtype, qclass, end offset) of the first question; ValueError when malformed."""
    labels, off = [], 12
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the message")
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n & 0xC0:
            raise ValueError("compressed or extended label in a question")
        labels.append(msg[off:off + n].decode("ascii", "replace").lower())
        off += n
    if off + 4 > len(msg):
        raise ValueError("question runs past the message")
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return ".".join(labels), qtype, qclass, off + 4


def answer(msg, records):
    """The reply to the query MSG, or None when it is not worth one."""
    if len(msg) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000:  # an answer: never reply to one
        return None
    opcode = (flags >> 11) & 0xF
    rd = flags & 0x0100
    out_flags = 0x8000 | (opcode << 11) | 0x0400 | rd  # QR, AA

    def reply(rcode, question=b"", answers=()):
        head = struct.pack("!HHHHHH", qid, out_flags | rcode, 1 if question else 0,
                           len(answers), 0, 0)
        return head + question + b"".join(answers)

    if opcode != 0:
        return reply(NOTIMP)
    try:
        if qdcount != 1:
            raise ValueError("not one question")
        name, qtype, qclass, end = parse_question(msg)
    except ValueError:
        return reply(FORMERR)
    question = msg[12:end]
    addrs = records.get(name)
    if addrs is None:
        return reply(NXDOMAIN, question)
    answers = []
    if qtype == TYPE_A and qclass == CLASS_IN:
        for a in addrs:
            # 0xc00c: a pointer to the question's name, at offset 12.
            answers.append(struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, TTL, 4) + a)
    return reply(NOERROR, question, answers)


def main():
    ap = argparse.ArgumentParser(description="tiny authoritative DNS server for tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--record", action="append", default=[], metavar="NAME=IPV4")
    ap.add_argument("--portfile")
    args = ap.parse_args()

    records = {}
    for r in args.record:
        name, sep, addr = r.partition("=")
        try:
            packed = ipaddress.IPv4Address(addr).packed
        except ValueError:
            packed = None
        if not sep or not name or packed is None:
            ap.error("--record %r: expected NAME=IPV4" % r)
        records.setdefault(name.lower().rstrip("."), []).append(packed)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", args.port))
    port = sock.getsockname()[1]
    if args.portfile:
        tmp = "%s.tmp-%d" % (args.portfile, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.portfile)
    else:
        print(port, flush=True)

    while True:
        msg, peer = sock.recvfrom(65535)
        out = answer(msg, records)
        if out is not None:
            try:
                sock.sendto(out, peer)
            except OSError as e:
                print("dnsserver: send to %s: %s" % (peer, e), file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
