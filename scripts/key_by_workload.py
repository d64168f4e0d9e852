#!/usr/bin/env python3
"""Prefix each NDJSON line with its workload and a tab, for `kcat -K '\\t'`:
producers key by workload so one workload's events stay in one partition.
Lines that are not JSON objects get an empty key (the collector quarantines
them). Blank lines are dropped: Kafka has no use for empty messages."""
import json
import sys

out = sys.stdout.buffer
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            key = b""
            try:
                obj = json.loads(line)
                if isinstance(obj, dict) and isinstance(obj.get("workload"), str):
                    key = obj["workload"].encode()
            except (ValueError, UnicodeDecodeError):
                pass
            out.write(key.replace(b"\t", b" ") + b"\t" + line + b"\n")
