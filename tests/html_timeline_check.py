#!/usr/bin/env python3
"""Checks for 'timeline --format html' (driven by html_timeline_test.sh).

The expected lanes are computed here, independently of the analyzer's page
writer, from the stored events ('grantline-analyzer events --workload W',
NDJSON) following DESIGN.md section 3.1: one lane per credential the events
name (credential or previous), one per grant (replaying access.granted,
agent.delegated to W and access.revoked, a re-grant of an active key making
none), one per task, plus the actions lane.

Subcommands (exit 0 when the check holds, 1 with a message when not):
  expect EVENTS.ndjson WORKLOAD [TIMELINE.ndjson]
                                         print the expected counts as JSON
                                         (with TIMELINE: a filtered view, which
                                         adds the grants that covered actions)
  page PAGE.html EXPECT.json [TIMELINE.ndjson]
                                         the page as written: one data blob
                                         that parses, nothing that could end
                                         it early, lanes as expected
  dom DOM.html EXPECT.json [TIMELINE.ndjson]
                                         the DOM chromium rendered: no script
                                         errors, lanes, ticks, findings drawn
  png FILE.png WIDTH HEIGHT              a real screenshot: valid PNG of that
                                         size, not blank, the lane colours
"""
import json
import re
import struct
import sys
import zlib

INF = float("inf")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def parse_ts(s):
    """RFC 3339 (as 'events' prints it, UTC) to integer microseconds."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", s)
    if not m:
        fail("unexpected time format: " + s)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    frac = (m.group(7) or "").ljust(6, "0")[:6]
    # days from civil (proleptic Gregorian), as in Howard Hinnant's algorithm
    y2 = y - (mo <= 2)
    era = y2 // 400
    yoe = y2 - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return ((days * 86400 + h * 3600 + mi * 60 + se) * 1000000) + int(frac)


def expect(events_path, workload, covering=None):
    creds, tasks, grants = [], [], []
    actions = 0
    for line in open(events_path, encoding="utf-8"):
        if not line.strip():
            continue
        e = json.loads(line)
        t = parse_ts(e["ts"])
        typ = e["type"]
        for c in (e.get("credential") or {}).get("id"), e.get("previous"):
            if c is not None and c not in creds:
                creds.append(c)
        if e.get("task") is not None and e["task"] not in tasks:
            tasks.append(e["task"])
        if typ == "action.performed" and e["workload"] == workload:
            actions += 1
        holder = None
        if typ == "access.granted" and e["workload"] == workload:
            holder = workload
        elif typ == "agent.delegated" and e.get("delegate") == workload:
            holder = workload
        if holder is not None:
            end = parse_ts(e["expires_at"]) if e.get("expires_at") else INF
            perms = [(p["action"], p.get("resource") or "*") for p in e.get("permissions") or []]
            if e.get("grant_id"):
                new = [(e["grant_id"], perms)]
            else:
                new = [("%s|%s|%s" % (holder, a, r), [(a, r)]) for a, r in perms]
            for key, ps in new:
                if any(g["key"] == key and g["start"] <= t < g["end"] for g in grants):
                    continue  # a re-grant of an active key changes nothing
                grants.append({"key": key, "start": t, "end": end, "perms": ps})
        if typ == "access.revoked" and e["workload"] == workload:
            rperms = [(p["action"], p.get("resource") or "*") for p in e.get("permissions") or []]
            for g in grants:
                if not g["start"] <= t < g["end"]:
                    continue
                if (e.get("grant_id") and e["grant_id"] == g["key"]) or set(rperms) & set(g["perms"]):
                    g["end"] = t
    n_grants = len(grants)
    if covering:
        # a filtered view also shows each grant that covered a shown action
        # when it was granted outside the filter (covered_by, from the JSON
        # timeline, is the one fact taken from the analyzer here)
        own = {g["key"] for g in grants}
        cov = set()
        for line in open(covering, encoding="utf-8"):
            if line.strip():
                k = json.loads(line).get("covered_by")
                if k is not None and k not in own:
                    cov.add(k)
        n_grants += len(cov)
    out = {"credential": len(creds), "grant": n_grants, "task": len(tasks), "actions": 1,
           "action_ticks": actions}
    out["lanes"] = out["credential"] + out["grant"] + out["task"] + 1
    print(json.dumps(out))


def timeline_findings(path):
    ids = set()
    if path:
        for line in open(path, encoding="utf-8"):
            if line.strip():
                ids.update(f["finding_id"] for f in json.loads(line)["findings"])
    return ids


def page(path, exp_path, timeline=None):
    html = open(path, encoding="utf-8").read()
    exp = json.load(open(exp_path))
    if not html.startswith("<!DOCTYPE html>"):
        fail("no doctype")
    m = re.search(r'<script type="application/json" id="gl-data">\n(.*?)\n</script>', html, re.S)
    if not m:
        fail("no data element")
    outside = html[:m.start(1)] + html[m.end(1):]
    # self-contained: nothing fetched (no src/href to anything, no url())
    for pat in (r"\ssrc\s*=", r"\shref\s*=", r"url\(\s*['\"]?(?!#)", r"@import",
                r"https?://(?!www\.w3\.org/2000/svg)"):
        if re.search(pat, outside, re.I):
            fail("page refers to an external resource: " + pat)
    if "default-src 'none'" not in html:
        fail("no Content-Security-Policy forbidding the network")
    # exactly our three scripts: store strings cannot open or close one
    if len(re.findall(r"<script", html, re.I)) != 3 or len(re.findall(r"</script", html, re.I)) != 3:
        fail("expected exactly 3 <script> elements (data, guard, renderer)")
    if "<!--" in html or re.search(r"<img", html, re.I):
        fail("markup from the store leaked into the page")
    if "<" in m.group(1):
        fail("raw '<' inside the data element")
    data = json.loads(m.group(1))
    kinds = {}
    for ln in data["lanes"]:
        kinds[ln["kind"]] = kinds.get(ln["kind"], 0) + 1
    for k in ("credential", "grant", "task", "actions"):
        if kinds.get(k, 0) != exp[k]:
            fail("%s lanes in the data: %d, expected %d" % (k, kinds.get(k, 0), exp[k]))
    ticks = sum(1 for ln in data["lanes"] for mk in ln["marks"] if mk["k"] == "action")
    if ticks != exp["action_ticks"]:
        fail("actions in the data: %d, expected %d" % (ticks, exp["action_ticks"]))
    want = timeline_findings(timeline)
    have = {f["id"] for f in data["findings"]}
    if not want <= have:
        fail("findings of the JSON timeline missing from the page: %s" % sorted(want - have))
    print("page ok: %d lanes (%s), %d actions, %d findings" % (
        len(data["lanes"]), ", ".join("%s %d" % kv for kv in sorted(kinds.items())), ticks, len(have)))


def dom(path, exp_path, timeline=None):
    d = open(path, encoding="utf-8").read()
    exp = json.load(open(exp_path))
    m = re.search(r'<div id="gl-status"([^>]*)>([^<]*)', d)
    if not m:
        fail("no #gl-status in the rendered DOM")
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
    if attrs.get("data-errors") != "0" or attrs.get("data-state") != "ok":
        fail("script errors: state=%s errors=%s %s" % (attrs.get("data-state"), attrs.get("data-errors"),
                                                      m.group(2)))
    if int(attrs.get("data-lanes", -1)) != exp["lanes"]:
        fail("status reports %s lanes, expected %d" % (attrs.get("data-lanes"), exp["lanes"]))
    for k in ("credential", "grant", "task", "actions"):
        n = len(re.findall(r'data-lane="%s"' % k, d))
        if n != exp[k]:
            fail("%s lanes drawn: %d, expected %d" % (k, n, exp[k]))
    n = len(re.findall(r"data-lane=", d))
    if n != exp["lanes"]:
        fail("lanes drawn: %d, expected %d" % (n, exp["lanes"]))
    ticks = len(re.findall(r"data-tick=", d))
    if ticks != exp["action_ticks"] or int(attrs.get("data-ticks", -1)) != ticks:
        fail("action ticks drawn: %d (status %s), expected %d" % (ticks, attrs.get("data-ticks"),
                                                                  exp["action_ticks"]))
    want = timeline_findings(timeline)
    have = set(re.findall(r'data-finding="([0-9a-f]{32})"', d))
    if not want <= have:
        fail("findings not listed: %s" % sorted(want - have))
    if want and int(attrs.get("data-rings", 0)) == 0:
        fail("findings with evidence but nothing ringed")
    # the hostile sample's payloads: an <img> element, or a title rewritten
    if re.search(r"<img", d, re.I) or re.search(r"<title>\s*pwned", d):
        fail("markup from the store was interpreted")
    print("dom ok: %d lanes, %d ticks, %d findings listed, %s rings, 0 script errors" % (
        n, ticks, len(have), attrs.get("data-rings")))


def png(path, width, height):
    b = open(path, "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(b):
        n, typ = struct.unpack(">I4s", b[pos:pos + 8])
        chunk = b[pos + 8:pos + 8 + n]
        if zlib.crc32(typ + chunk) != struct.unpack(">I", b[pos + 8 + n:pos + 12 + n])[0]:
            fail("bad CRC in chunk %r" % typ)
        if typ == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif typ == b"IDAT":
            idat.append(chunk)
        elif typ == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if (w, h) != (width, height):
        fail("screenshot is %dx%d, expected %dx%d" % (w, h, width, height))
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail("unexpected PNG format (depth %d, colour type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    prev = bytearray(stride)
    colours = {}
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + c) & 255 for a, c in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                c = prev[i - bpp] if i >= bpp else 0
                up = prev[i]
                p = a + up - c
                pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
        for i in range(0, stride, bpp * 2):  # every other pixel is plenty
            k = bytes(line[i:i + 3])
            colours[k] = colours.get(k, 0) + 1
        prev = line
    if len(colours) < 50:
        fail("screenshot looks blank (%d colours)" % len(colours))
    # colours the page draws with (credential, grant, allowed tick, finding)
    named = {"credential bar": (0x4c, 0x6e, 0xf5), "grant bar": (0x12, 0xb8, 0x86),
             "allowed action": (0x2f, 0x9e, 0x44), "finding": (0xe0, 0x31, 0x31)}
    for name, rgb in named.items():
        n = sum(c for k, c in colours.items() if all(abs(k[j] - rgb[j]) <= 6 for j in range(3)))
        if n < 5:
            fail("no %s colour in the screenshot" % name)
    print("png ok: %dx%d, %d colours, lane colours present" % (w, h, len(colours)))


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "expect" and len(args) in (2, 3):
        expect(*args)
    elif cmd == "page" and len(args) in (2, 3):
        page(*args)
    elif cmd == "dom" and len(args) in (2, 3):
        dom(*args)
    elif cmd == "png" and len(args) == 3:
        png(args[0], int(args[1]), int(args[2]))
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
