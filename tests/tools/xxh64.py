#!/usr/bin/env python3
"""XXH64 (seed 0), written from the xxHash specification, independent of the
libxxhash sandrun links: the loading tests check spec_hash and the suite
fingerprint against it.

  xxh64.py FILE...              the XXH64 of each file, 16 hex digits a line
  xxh64.py --suite ROOT CATHASH FILE...
                                the suite fingerprint of FILEs (paths under
                                ROOT) with the catalogue hash CATHASH
                                (runner/cli/shard.h suite_fingerprint)
"""
import os
import struct
import sys

M = (1 << 64) - 1
P1, P2, P3 = 11400714785074694791, 14029467366897019727, 1609587929392839161
P4, P5 = 9650029242287828579, 2870177450012600261


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def rnd(acc, lane):
    return (rotl((acc + lane * P2) & M, 31) * P1) & M


def lane(b, i, n=8):
    return int.from_bytes(b[i:i + n], "little")


def xxh64(b, seed=0):
    n, i = len(b), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            v = [rnd(v[k], lane(b, i + 8 * k)) for k in range(4)]
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v:
            h = ((h ^ rnd(0, x)) * P1 + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, lane(b, i)), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ ((lane(b, i, 4) * P1) & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = (rotl(h ^ ((b[i] * P5) & M), 11) * P1) & M
        i += 1
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    return h ^ (h >> 32)


def lenstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def suite(root, cathash, files):
    """The relative path keeps the file's own name (a symlink counts under
    its link name), its directory resolved."""
    rroot = os.path.realpath(root)
    data = lenstr("sandrun-suite-v1")
    rels = {}
    for f in files:
        d = os.path.realpath(os.path.dirname(f) or ".")
        rel = os.path.relpath(os.path.join(d, os.path.basename(f)), rroot)
        with open(f, "rb") as fh:
            rels[rel] = fh.read()
    for rel in sorted(rels, key=lambda r: r.encode()):
        data += lenstr(rel) + struct.pack("<Q", len(rels[rel])) + rels[rel]
    data += lenstr(cathash)
    return "%016x" % xxh64(data)


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--suite":
        print(suite(sys.argv[2], sys.argv[3], sys.argv[4:]))
    else:
        for path in sys.argv[1:]:
            with open(path, "rb") as fh:
                print("%016x" % xxh64(fh.read()))
