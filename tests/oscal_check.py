#!/usr/bin/env python3
"""Validates `grantline-analyzer report --format oscal` output.

1. Against NIST's own JSON Schema for OSCAL assessment results (the 1.0.6
   file in ../shared/reference/oscal-1.0.6/), with python3-jsonschema's
   Draft-07 validator. The schema's patterns are ECMA-262 regexes; two
   constructs need care in Python: \\p{L} / \\p{N} (Unicode classes, which
   the stdlib `re` lacks: translated, or run with the `regex` module when it
   is installed) and a final `$` (ECMA: end of string; Python: also before a
   final newline, so it becomes \\Z).
2. Against what the schema cannot say: uuids unique, references resolve
   (related observations, import-ap), control ids in OSCAL's lower-case form,
   each finding targets "<control-id>_obj" of a reviewed control, oscal-version
   1.0.6, and (with --findings) one observation per finding of
   `findings --format json`.
3. --self-test: mutated copies of the document (bad uuid, bad state, missing
   required field, upper-case token with a space) must fail, so a validator
   that accepts everything cannot pass this test.

usage: oscal_check.py SCHEMA DOC [--findings FINDINGS.ndjson] [--self-test]
Exit 0 when valid, 1 with the problems listed otherwise.
"""
import copy
import json
import re
import sys

import jsonschema

try:
    import regex as _regex  # Unicode property classes, when installed
except ImportError:  # Debian 12 without python3-regex
    _regex = None


def _translate(pattern):
    p = pattern.replace(r"\p{L}", r"[^\W\d_]").replace(r"\p{N}", r"\d")
    if p.endswith("$") and not p.endswith(r"\$"):
        p = p[:-1] + r"\Z"
    return p


_cache = {}


def _search(pattern, text):
    rx = _cache.get(pattern)
    if rx is None:
        if _regex is not None:
            p = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
            rx = _regex.compile(p)
        else:
            rx = re.compile(_translate(pattern))
        _cache[pattern] = rx
    return rx.search(text) is not None


def _pattern(validator, patrn, instance, schema):
    if validator.is_type(instance, "string") and not _search(patrn, instance):
        yield jsonschema.ValidationError("%r does not match %r" % (instance, patrn))


def make_validator(schema):
    base = jsonschema.validators.validator_for(schema)
    # the schema itself must be a valid Draft-07 schema; without a format
    # checker here, since "format": "regex" means Python's re, which lacks \p{L}
    bad = list(base(base.META_SCHEMA).iter_errors(schema))
    if bad:
        raise SystemExit("%s is not a valid JSON Schema: %s" % (schema.get("$id"), bad[0].message))
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})
    return cls(schema, format_checker=jsonschema.FormatChecker())


def schema_errors(validator, doc):
    out = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in e.absolute_path)
        out.append("schema: /%s: %s" % (path, e.message[:300]))
    return out


def walk(o, fn, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            fn(path + "/" + k, k, v)
            walk(v, fn, path + "/" + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            walk(v, fn, "%s/%d" % (path, i))


CONTROL_ID = re.compile(r"^[a-z]{2}-[0-9]+(\.[0-9]+)?\Z")


def semantic_errors(doc, findings_ids=None):
    errs = []
    ar = doc.get("assessment-results", {})
    if ar.get("metadata", {}).get("oscal-version") != "1.0.6":
        errs.append("metadata.oscal-version is not 1.0.6")
    defined = []

    def collect(path, key, val):
        if key == "uuid" and isinstance(val, str):
            defined.append((path, val))

    walk(doc, collect)
    seen = {}
    for path, u in defined:
        if u in seen:
            errs.append("uuid %s defined twice (%s and %s)" % (u, seen[u], path))
        seen[u] = path
    resources = {r["uuid"] for r in ar.get("back-matter", {}).get("resources", [])}
    href = ar.get("import-ap", {}).get("href", "")
    if href.startswith("#") and href[1:] not in resources:
        errs.append("import-ap.href %s names no back-matter resource" % href)
    for ri, res in enumerate(ar.get("results", [])):
        reviewed = set()
        for sel in res.get("reviewed-controls", {}).get("control-selections", []):
            for c in sel.get("include-controls", []):
                cid = c["control-id"]
                if not CONTROL_ID.match(cid):
                    errs.append("result %d: control-id %r is not OSCAL's lower-case form"
                                % (ri, cid))
                if cid in reviewed:
                    errs.append("result %d: control-id %s listed twice" % (ri, cid))
                reviewed.add(cid)
        obs = {o["uuid"]: o for o in res.get("observations", [])}
        for o in obs.values():
            if o.get("methods") != ["TEST"]:
                errs.append("observation %s: methods %r" % (o["uuid"], o.get("methods")))
        targeted = set()
        for fd in res.get("findings", []):
            t = fd["target"]
            cid = t["target-id"][:-4] if t["target-id"].endswith("_obj") else None
            if t["type"] != "objective-id" or cid not in reviewed:
                errs.append("finding %s targets %s, not the objective of a reviewed control"
                            % (fd["uuid"], t["target-id"]))
            targeted.add(cid)
            bad = t["status"]["state"] == "not-satisfied"
            # risk accepted: findings, all suppressed, so none is an observation
            accepted = bad and t["status"].get("reason") == "other"
            if bad != (t["status"].get("reason") in ("fail", "other")) or \
                    (not bad and t["status"].get("reason") != "pass"):
                errs.append("finding %s: state %s with reason %r"
                            % (fd["uuid"], t["status"]["state"], t["status"].get("reason")))
            rel = fd.get("related-observations", [])
            for ro in rel:
                if ro["observation-uuid"] not in obs:
                    errs.append("finding %s: related observation %s does not exist"
                                % (fd["uuid"], ro["observation-uuid"]))
            if not accepted and bad != bool(rel):
                errs.append("finding %s: state %s but %d related observations"
                            % (fd["uuid"], t["status"]["state"], len(rel)))
        missing = reviewed - targeted
        nothing_analysed = "No event was analysed" in res.get("description", "")
        judged_ok = {fd["target"]["target-id"][:-4] for fd in res.get("findings", [])
                     if fd["target"]["status"]["state"] == "not-satisfied"}
        if nothing_analysed and targeted - judged_ok:
            errs.append("result %d: no event analysed, yet objectives judged satisfied: %s"
                        % (ri, ", ".join(sorted(targeted - judged_ok))))
        if missing and not nothing_analysed:
            errs.append("result %d: reviewed controls without a finding: %s"
                        % (ri, ", ".join(sorted(missing))))
        if findings_ids is not None:
            got = set()
            for o in obs.values():
                for p in o.get("props", []):
                    if p["name"] == "finding-id":
                        got.add(p["value"])
            if got != findings_ids or len(obs) != len(findings_ids):
                errs.append("result %d: %d observations for %d findings (missing %s, extra %s)"
                            % (ri, len(obs), len(findings_ids),
                               sorted(findings_ids - got)[:5], sorted(got - findings_ids)[:5]))
    return errs


def mutations(doc):
    """Copies of doc that NIST's schema must reject."""
    ar = "assessment-results"
    out = []
    d = copy.deepcopy(doc)
    d[ar]["uuid"] = "not-a-uuid"
    out.append(("bad uuid", d))
    d = copy.deepcopy(doc)
    del d[ar]["import-ap"]
    out.append(("missing import-ap", d))
    d = copy.deepcopy(doc)
    d[ar]["results"][0]["reviewed-controls"]["control-selections"][0]["include-controls"][0][
        "control-id"] = "AC 2"
    out.append(("control-id with a space", d))
    if d[ar]["results"][0].get("findings"):
        d = copy.deepcopy(doc)
        d[ar]["results"][0]["findings"][0]["target"]["status"]["state"] = "failed"
        out.append(("unknown target state", d))
    if d[ar]["results"][0].get("observations"):
        d = copy.deepcopy(doc)
        d[ar]["results"][0]["observations"][0]["collected"] = "2026-13-01T00:00:00Z"
        out.append(("bad date-time", d))
        d = copy.deepcopy(doc)
        d[ar]["results"][0]["observations"][0]["props"][0]["value"] = " padded "
        out.append(("prop value with outer white space", d))
    return out


def main(argv):
    args = argv[1:]
    self_test = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    findings_path = None
    if "--findings" in args:
        i = args.index("--findings")
        findings_path = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    with open(args[0]) as f:
        schema = json.load(f)
    with open(args[1]) as f:
        doc = json.load(f)
    findings_ids = None
    if findings_path:
        with open(findings_path) as f:
            findings_ids = {json.loads(line)["finding_id"] for line in f if line.strip()}
    v = make_validator(schema)
    errs = schema_errors(v, doc) + semantic_errors(doc, findings_ids)
    if self_test:
        for name, bad in mutations(doc):
            if not schema_errors(v, bad):
                errs.append("self-test: the schema accepted a document with %s" % name)
    for e in errs:
        print(e)
    res = doc.get("assessment-results", {}).get("results", [{}])[0]
    print("%s: %s against %s (%d observations, %d findings, %d reviewed controls)%s"
          % ("FAIL" if errs else "ok", args[1], schema.get("$id", args[0]),
             len(res.get("observations", [])), len(res.get("findings", [])),
             sum(len(s.get("include-controls", []))
                 for s in res.get("reviewed-controls", {}).get("control-selections", [])),
             "; self-test mutations rejected" if self_test and not errs else ""))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
