#!/usr/bin/env python3
"""Check the control catalog (schemas/controls.json).

Usage:
    python3 tests/catalog_check.py CATALOG

Checks:
  - every rule GL-001..GL-016 is mapped, and "rules" has no other keys;
  - every control id matches ^[A-Z0-9-]+:[A-Za-z0-9 .()-]+$ (the regex the C
    test check_rules uses) and appears at most once per rule;
  - every id used in "rules" is in "controls" with a non-empty title and a
    "framework" equal to the id's prefix;
  - every rule maps to NIST SP 800-53, CSF, AI RMF, at least one OWASP list
    and a CSA MAESTRO layer;
  - every framework prefix used (in "rules" or "controls") is described in
    "frameworks" (a non-empty name) and in "framework_versions" (an object
    with a non-empty "version");
  - each rule's ids, joined with commas, fit the 1023 characters the CEF
    output keeps for them (analyzer/output.c, cs4).

Standard library only. Prints one line per failure and a summary.
Exit status: 0 if every check passed, 1 if any failed, 2 on usage or I/O error.
"""

import json
import re
import sys

RULES = ["GL-%03d" % i for i in range(1, 17)]
ID_RE = re.compile(r"^[A-Z0-9-]+:[A-Za-z0-9 .()-]+$")
REQUIRED = ["NIST-800-53", "CSF", "AI-RMF", "MAESTRO"]
OWASP = ["OWASP-NHI", "OWASP-ASI", "OWASP-LLM"]
CEF_CONTROLS_MAX = 1023


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: catalog_check.py CATALOG\n")
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            cat = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write("catalog_check: %s: %s\n" % (argv[1], e))
        return 2

    fails = []

    def fail(msg):
        fails.append(msg)
        print("FAIL " + msg)

    rules = cat.get("rules")
    controls = cat.get("controls")
    frameworks = cat.get("frameworks")
    versions = cat.get("framework_versions")
    for key, val in (("rules", rules), ("controls", controls),
                     ("frameworks", frameworks), ("framework_versions", versions)):
        if not isinstance(val, dict):
            fail("top-level %r is missing or not an object" % key)
    if fails:
        print("catalog_check: %d failure(s)" % len(fails))
        return 1

    # Frameworks: a name per prefix, and a version in framework_versions.
    for prefix, name in frameworks.items():
        if isinstance(name, dict):
            name = name.get("name")
        if not isinstance(name, str) or not name.strip():
            fail("frameworks.%s: no name" % prefix)
    for prefix, info in versions.items():
        if prefix not in frameworks:
            fail("framework_versions.%s: not in frameworks" % prefix)
        if not isinstance(info, dict) or not str(info.get("version", "")).strip():
            fail("framework_versions.%s: no version" % prefix)

    def check_prefix(where, prefix):
        if prefix not in frameworks:
            fail("%s: framework %r not described in frameworks" % (where, prefix))
        elif prefix not in versions:
            fail("%s: framework %r has no framework_versions entry" % (where, prefix))

    # Controls: title, framework matching the prefix, well-formed id.
    seen_prefixes = set()
    for cid, info in controls.items():
        if not ID_RE.match(cid):
            fail("controls: bad id %r" % cid)
            continue
        prefix = cid.split(":", 1)[0]
        if not isinstance(info, dict):
            fail("controls.%s: not an object" % cid)
            continue
        title = info.get("title")
        if not isinstance(title, str) or not title.strip():
            fail("controls.%s: empty or missing title" % cid)
        if info.get("framework") != prefix:
            fail("controls.%s: framework %r does not match prefix %r"
                 % (cid, info.get("framework"), prefix))
        if "note" in info and (not isinstance(info["note"], str) or not info["note"].strip()):
            fail("controls.%s: empty note" % cid)
        if prefix not in seen_prefixes:
            seen_prefixes.add(prefix)
            check_prefix("controls.%s" % cid, prefix)

    # Rules.
    for r in rules:
        if r not in RULES:
            fail("rules.%s: not a grantline rule (GL-001..GL-016)" % r)
    used = set()
    n_ids = 0
    for r in RULES:
        ids = rules.get(r)
        if not isinstance(ids, list) or not ids:
            fail("%s: not mapped" % r)
            continue
        have = set()
        for cid in ids:
            n_ids += 1
            if not isinstance(cid, str) or not ID_RE.match(cid):
                fail("%s: bad control id %r" % (r, cid))
                continue
            if cid in have:
                fail("%s: %s listed twice" % (r, cid))
            have.add(cid)
            used.add(cid)
            prefix = cid.split(":", 1)[0]
            if prefix not in seen_prefixes:
                seen_prefixes.add(prefix)
                check_prefix("%s: %s" % (r, cid), prefix)
            if cid not in controls:
                fail("%s: %s is not in controls" % (r, cid))
        prefixes = {c.split(":", 1)[0] for c in have}
        for fw in REQUIRED:
            if fw not in prefixes:
                fail("%s: maps to no %s control" % (r, fw))
        if not prefixes & set(OWASP):
            fail("%s: maps to no OWASP list (%s)" % (r, ", ".join(OWASP)))
        joined = ",".join(c for c in ids if isinstance(c, str))
        if len(joined) > CEF_CONTROLS_MAX:
            fail("%s: %d characters of control ids, more than the %d CEF keeps"
                 % (r, len(joined), CEF_CONTROLS_MAX))

    notes = cat.get("mapping_notes", {})
    if not isinstance(notes, dict):
        fail("mapping_notes is not an object")
    else:
        for r in notes:
            if r not in RULES:
                fail("mapping_notes.%s: not a grantline rule" % r)

    unmapped = sorted(set(controls) - used)
    by_fw = {}
    for cid in used:
        p = cid.split(":", 1)[0]
        by_fw[p] = by_fw.get(p, 0) + 1
    print("rules: %d mapped, %d ids (%d distinct controls)" % (
        sum(1 for r in RULES if rules.get(r)), n_ids, len(used)))
    print("controls in catalog: %d (%d not mapped by any rule)" % (len(controls), len(unmapped)))
    print("distinct controls per framework: " + ", ".join(
        "%s %d" % (p, by_fw[p]) for p in frameworks if p in by_fw))
    if fails:
        print("catalog_check: %d failure(s)" % len(fails))
        return 1
    print("catalog_check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
