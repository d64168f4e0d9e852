#!/usr/bin/env python3
"""Checks for `grantline-analyzer report` outputs (run by tests/report_test.sh).

  report_check.py json REPORT.json FINDINGS.ndjson [--suppressed N]
      the document parses, its tallies add up, and its figures agree with the
      findings of `findings --format json` on the same stores (see below)
  report_check.py html REPORT.html
      one self-contained page: no script, no external resource (src/href/url()
      /@import to http(s):// or //), no event-handler attributes, inline SVG
      charts that are well-formed XML, a print stylesheet
  report_check.py md REPORT.md
      the sections are there and every table row has its header's columns
  report_check.py same A.json B.json [--ignore-derived]
      two reports agree on everything but the store list and the report time;
      --ignore-derived also leaves out what redaction-derived exposures move
      (overlapping stores each hold their own copy: the collector derives
      their ids and credential fingerprints from each store's own key)
Exit 0 when all checks pass, 1 otherwise (each failure printed).
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

SEVERITIES = ["critical", "high", "medium", "low", "info"]
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)


def load_findings(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def check_json(path, findings_path, suppressed=0):
    with open(path) as f:
        doc = json.load(f)
    findings = load_findings(findings_path)
    ids = {f["finding_id"] for f in findings}
    by_rule = {}
    for f in findings:
        by_rule[f["rule"]] = by_rule.get(f["rule"], 0) + 1
    s = doc["summary"]
    check(s["findings"] + s["suppressed"] == len(findings),
          "summary: %d findings + %d suppressed, `findings` gave %d"
          % (s["findings"], s["suppressed"], len(findings)))
    check(s["suppressed"] == suppressed, "summary.suppressed %d != %d" % (s["suppressed"], suppressed))
    check(sum(s["by_severity"].values()) == s["findings"], "summary.by_severity does not add up")
    check(len(doc["rules"]) == 16, "16 rules expected, got %d" % len(doc["rules"]))
    check(sum(r["findings"] for r in doc["rules"]) == s["findings"], "rules do not add up")
    if not suppressed:
        for r in doc["rules"]:
            check(r["findings"] == by_rule.get(r["id"], 0),
                  "rule %s: %d in report, %d from findings" % (r["id"], r["findings"],
                                                              by_rule.get(r["id"], 0)))
    statuses = {"findings": 0, "no findings": 0, "not assessed": 0}
    rule_controls = {}
    for f in findings:
        rule_controls.setdefault(f["rule"], set()).update(f["controls"])
    for c in doc["controls"]:
        statuses[c["status"]] += 1
        check(c["id"] == c["framework"] + ":" + c["control"], "control id %s" % c["id"])
        check(sum(c["by_severity"].values()) == c["findings"], "%s: severities" % c["id"])
        check(c["findings"] == len(c["evidence"]) + c["evidence_omitted"],
              "%s: findings != evidence + omitted" % c["id"])
        want = "not assessed" if not c["rules"] else "findings" if c["findings"] else "no findings"
        check(c["status"] == want, "%s: status %s, expected %s" % (c["id"], c["status"], want))
        for e in c["evidence"]:
            check(e["finding_id"] in ids, "%s: evidence %s is not a finding" % (c["id"], e["finding_id"]))
            check(c["id"] in rule_controls.get(e["rule"], ()),
                  "%s: evidence of %s, which does not map to it" % (c["id"], e["rule"]))
        ranks = [(-SEVERITIES[::-1].index(e["severity"]), e["first_seen"] or "") for e in c["evidence"]]
        check(ranks == sorted(ranks), "%s: evidence not most severe first" % c["id"])
        if not suppressed:
            # every finding of a mapped rule counts for the control
            n = sum(1 for f in findings if c["id"] in f["controls"])
            check(c["findings"] == n, "%s: %d findings, expected %d" % (c["id"], c["findings"], n))
    sc = s["controls"]
    check(sc["total"] == len(doc["controls"]), "summary.controls.total")
    check(sc["findings"] == statuses["findings"] and sc["no_findings"] == statuses["no findings"]
          and sc["not_assessed"] == statuses["not assessed"], "summary.controls by status")
    sev_by_wl = {}
    for f in findings:
        sev_by_wl[f["workload"]] = sev_by_wl.get(f["workload"], 0) + 1
    for w in doc["workloads"]:
        check(sum(w["by_severity"].values()) == w["findings"], "%s: severities" % w["workload"])
        if not suppressed:
            check(w["findings"] == sev_by_wl.get(w["workload"], 0),
                  "%s: %d findings, expected %d" % (w["workload"], w["findings"],
                                                    sev_by_wl.get(w["workload"], 0)))
        check(w["permissions_used"] <= w["permissions"] and w["grants_used"] <= w["grants"],
              "%s: used more than granted" % w["workload"])
        check(w["actions_bound"] <= w["actions"], "%s: bound > actions" % w["workload"])
    scope = doc["scope"]
    check(scope["workloads"] == len(doc["workloads"]), "scope.workloads != workload rows")
    check(sum(scope["events_by_type"].values()) == scope["events_analysed"], "events by type")
    m = doc["metrics"]
    pu = m["privilege_utilisation"]
    check(pu["permissions"] == sum(w["permissions"] for w in doc["workloads"]), "permissions sum")
    check(pu["permissions_used"] == sum(w["permissions_used"] for w in doc["workloads"]),
          "permissions_used sum")
    ba = m["bound_actions"]
    check(ba["actions"] == scope["events_by_type"]["action.performed"],
          "bound_actions.actions != action.performed events")
    check(ba["actions"] == ba["bound"] + ba["no_credential"] + ba["unknown_credential"]
          + ba["other_workload_credential"], "bound_actions parts do not add up")
    check(0 <= ba["by_authority"] <= ba["bound"], "bound_actions.by_authority > bound")
    cr = m["credentials"]
    check(sum(cr["age_active"]) == cr["active"], "age histogram != active credentials")
    check(sum(cr["age_active"]) + sum(cr["lifetime_retired"]) == cr["issued"],
          "age + lifetime histograms != issued credentials")
    check(sum(cr["ttl"]) + cr["no_expiry"] == cr["issued"], "ttl histogram + no expiry != issued")
    rl = m["remediation_lag"]
    check(rl["remediated"] + rl["open"] == rl["exposed_credentials"], "remediated + open != exposed")
    if rl["remediated"]:
        check(rl["median"] <= rl["p90"] <= rl["max"], "median <= p90 <= max")
    if not suppressed:
        # the metrics and the rules read the same timelines
        check(ba["actions"] - ba["bound"] == by_rule.get("GL-011", 0),
              "unbound actions %d != GL-011 findings %d" % (ba["actions"] - ba["bound"],
                                                            by_rule.get("GL-011", 0)))
        check(rl["over_sla"] == by_rule.get("GL-010", 0),
              "over-SLA exposures %d != GL-010 findings %d" % (rl["over_sla"],
                                                               by_rule.get("GL-010", 0)))
        ts = m["task_scoped"]
        lingering = (ts["grants"]["decided"] - ts["grants"]["ended_with_task"]
                     + ts["credentials"]["decided"] - ts["credentials"]["ended_with_task"])
        check(lingering == by_rule.get("GL-004", 0),
              "outlived tasks %d != GL-004 findings %d" % (lingering, by_rule.get("GL-004", 0)))
        unused = pu["grants"] - pu["grants_used"]
        check(unused >= by_rule.get("GL-001", 0) + by_rule.get("GL-016", 0),
              "unused grants %d < GL-001 + GL-016 findings" % unused)
    return doc


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.refs = []
        self.handlers = []
        self.style = ""
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "formaction", "poster", "data"):
                self.refs.append((tag, k, v or ""))
            if k.startswith("on"):
                self.handlers.append((tag, k))
            if k == "style" and v:
                self.style += v
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.style += data


def check_html(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    p = Page()
    p.feed(text)
    check(text.lstrip().lower().startswith("<!doctype html>"), "html: no doctype")
    for tag in ("script", "link", "iframe", "object", "embed", "img", "base"):
        check(tag not in p.tags, "html: has a <%s> element" % tag)
    for tag, k, v in p.refs:
        check(v.startswith("#"), "html: %s %s=%r is not a same-page anchor" % (tag, k, v))
    check(not p.handlers, "html: event handler attributes %s" % p.handlers[:3])
    check("url(" not in p.style and "@import" not in p.style and "@font-face" not in p.style,
          "html: the stylesheet loads something")
    check("@media print" in p.style, "html: no print stylesheet")
    svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
    check(len(svgs) >= 3, "html: %d inline SVG charts, expected at least 3" % len(svgs))
    for i, svg in enumerate(svgs):
        try:
            ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
        except ET.ParseError as e:
            fails.append("html: svg %d is not well-formed XML: %s" % (i, e))
    for h in ("Scope", "Controls", "Evidence", "Workloads", "Metrics"):
        check(">%s</h2>" % h in text, "html: no %s section" % h)


def cells(line):
    # split a pipe-table row on unescaped pipes; code spans hold no pipes here
    return len(re.split(r"(?<!\\)\|", line.strip())) - 2


def check_md(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for h in ("## Summary", "## Scope", "## Controls", "## Evidence", "## Workloads",
              "## Metrics"):
        check(h in lines, "md: no '%s'" % h)
    width = None
    for n, line in enumerate(lines, 1):
        if not line.startswith("|"):
            width = None
            continue
        if width is None:
            width = cells(line)
        else:
            check(cells(line) == width, "md line %d: %d cells, header has %d" % (n, cells(line), width))


def check_same(a, b, ignore_derived):
    with open(a) as f:
        x = json.load(f)
    with open(b) as f:
        y = json.load(f)
    for d in (x, y):
        d["scope"].pop("stores")
        d["scope"].pop("generated")
        d["scope"].pop("events_stored")
        if ignore_derived:
            for k in ("events_analysed", "credentials"):
                d["scope"].pop(k)
            d["scope"]["events_by_type"].pop("credential.exposed")
            d["metrics"]["remediation_lag"].pop("exposed_untracked")
            d["metrics"]["credentials"].pop("seen")
            for w in d["workloads"]:
                w.pop("events")
    for k in x:
        check(x[k] == y[k], "reports differ in %s" % k)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    what = argv[1]
    if what == "json":
        sup = int(argv[argv.index("--suppressed") + 1]) if "--suppressed" in argv else 0
        check_json(argv[2], argv[3], sup)
    elif what == "html":
        check_html(argv[2])
    elif what == "md":
        check_md(argv[2])
    elif what == "same":
        check_same(argv[2], argv[3], "--ignore-derived" in argv)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for f in fails:
        print("  " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
