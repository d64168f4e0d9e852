#!/usr/bin/env python3
"""Recomputes a store's hash chain from a raw LMDB dump, independently of the
C code, with the formula schemas/store-format.md documents:
    link[seq] = SHA-256(link[seq-1] || u64be seq || SHA-256(record)), link[0] = 0^32
and checks every stored link and the chain head in meta.
Usage: chain_check.py STORE_DIR   (needs mdb_dump from lmdb-utils)"""
import hashlib
import subprocess
import sys


def dump(store, db):
    """Returns the (key, value) pairs of one named database, as bytes."""
    out = subprocess.run(["mdb_dump", "-s", db, store], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    body = out[out.index("HEADER=END") + 1:out.index("DATA=END")]
    lines = [bytes.fromhex(l.strip()) for l in body]
    return list(zip(lines[0::2], lines[1::2]))


def main():
    store = sys.argv[1]
    events = dump(store, "events")
    chain = dict(dump(store, "chain"))
    meta = dict(dump(store, "meta"))
    link = bytes(32)
    for n, (key, record) in enumerate(events, 1):
        seq = int.from_bytes(key, "big")
        if seq != n:
            sys.exit("sequence gap at %d (found %d)" % (n, seq))
        link = hashlib.sha256(link + key + hashlib.sha256(record).digest()).digest()
        if chain.get(key) != link:
            sys.exit("link %d does not match the documented formula" % seq)
    if meta[b"chain_head"] != link:
        sys.exit("meta chain_head is not the last link")
    if meta[b"format"] != b"grantline-store/4":
        sys.exit("unexpected format %r" % meta[b"format"])
    print("chain of %d events verified independently" % len(events))


main()
