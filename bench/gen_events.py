#!/usr/bin/env python3
"""Deterministic generator of realistic canonical events (~480 bytes each) for
benchmarks: N events over 10,000 workloads, per-task tokens and grants revoked
when the task ends, tool calls with prompts in attrs (1 in 100 outside the
grant), about 1 in 2,000 carrying a planted secret.
Usage: gen_events.py N [--keyed] [--uuid]
  --keyed: 'workload<TAB>json' for kcat -K
  --uuid:  random-looking UUID ids (as CloudTrail's eventID) instead of ev-NNNNNNNNN"""
import hashlib
import json
import random
import sys

n = int(sys.argv[1])
keyed = "--keyed" in sys.argv
uuid_ids = "--uuid" in sys.argv


def event_id(i):
    if not uuid_ids:
        return f"ev-{i:09d}"
    h = hashlib.md5(str(i).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
rnd = random.Random(42)
out = sys.stdout
t0 = 1767225600000  # 2026-01-01T00:00:00Z in ms
actions = ["s3:GetObject", "s3:PutObject", "github:repo.read", "jira:issue.create",
           "db:query", "slack:chat.postMessage", "zendesk:ticket.read", "vault:read"]
words = ("summarize the quarterly revenue report and post the highlights to the team channel "
         "including churn by region and the top accounts by expansion this quarter").split()
NW = 10000
state = {}
for i in range(n):
    w = rnd.randrange(NW)
    wl = f"agent:worker-{w:05d}"
    st = state.setdefault(w, {"task": 0, "phase": 0})
    ts = t0 + i * 37  # ~37 ms apart: about 430 days for 1M events
    task = f"task-{w:05d}-{st['task']:04d}"
    cred = f"tok-{w:05d}-{st['task']:04d}"
    ph = st["phase"]
    base = {"id": event_id(i), "ts": ts, "workload": wl, "task": task, "source": "agent-gateway"}
    if ph == 0:
        ev = dict(base, type="task.started",
                  scope=[{"action": a, "resource": "arn:aws:s3:::acme-reports/*"} for a in actions[:3]])
    elif ph == 1:
        ev = dict(base, type="identity.issued",
                  credential={"id": cred, "kind": "token", "expires_at": ts + 3600000})
    elif ph == 2:
        ev = dict(base, type="access.granted", grant_id=f"g-{w}-{st['task']}",
                  permissions=[{"action": a, "resource": "arn:aws:s3:::acme-reports/*"} for a in actions],
                  expires_at=ts + 3600000)
    elif ph < 9:
        prompt = " ".join(rnd.choice(words) for _ in range(50))
        if rnd.randrange(2000) == 0:
            prompt += " aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + f"{i:010d}"[-10:]
        ev = dict(base, type="action.performed", credential={"id": cred},
                  permission={"action": rnd.choice(actions),
                              # about 1 in 100 actions reaches outside the granted bucket
                              "resource": f"arn:aws:s3:::acme-{'reports' if rnd.randrange(100) else 'finance'}/2026/q{rnd.randrange(1,5)}/r{rnd.randrange(999)}.csv"},
                  decision="allow" if rnd.randrange(10) else "deny",
                  attrs={"tool": "s3.get", "prompt": prompt, "latency_ms": rnd.randrange(900)})
    elif ph == 9:
        ev = dict(base, type="task.completed", status="succeeded")
    elif ph == 10:
        ev = dict(base, type="credential.revoked", credential={"id": cred})
    else:
        ev = dict(base, type="access.revoked", grant_id=f"g-{w}-{st['task']}")
    st["phase"] = ph + 1
    if st["phase"] > 11:
        st["phase"] = 0
        st["task"] += 1
    line = json.dumps(ev, separators=(",", ":"))
    out.write(f"{wl}\t{line}\n" if keyed else line + "\n")
