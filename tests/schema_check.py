#!/usr/bin/env python3
"""Check event files against schemas/event.schema.json.

Usage:
    python3 tests/schema_check.py SCHEMA [VALID_NDJSON...] [--invalid INVALID_TSV]...

Every non-blank line of each VALID_NDJSON file must be a JSON object that the
schema accepts. Each line of INVALID_TSV is "<field>\\t<json>": the JSON must be
an object the schema rejects. A field starting with "!" marks a case the schema
cannot express (calendar dates, UTF-8 byte lengths, 1.0 read as an integer);
those lines are skipped here but the C validator must still reject them.

Needs only the standard library and jsonschema >= 4.0 (Debian 12:
python3-jsonschema 4.10), which is the first release with draft 2020-12.
Exit status: 0 if every check passed, 1 if any failed, 2 on usage or I/O error.
"""

import argparse
import json
import sys

try:
    import jsonschema
    from jsonschema import validators
except ImportError:  # pragma: no cover - depends on the host
    sys.stderr.write("schema_check: python3-jsonschema is not installed "
                     "(apt-get install python3-jsonschema)\n")
    sys.exit(2)


def _reject_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def _no_duplicate_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("duplicate key %r" % key)
        obj[key] = value
    return obj


def parse_object(text):
    """Parse one strict JSON object (no NaN/Infinity, no duplicate keys)."""
    value = json.loads(text, parse_constant=_reject_constant,
                       object_pairs_hook=_no_duplicate_keys)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def describe(error):
    """One line: the instance path, then the message (shortened)."""
    path = ""
    for part in error.absolute_path:
        if isinstance(part, int):
            path += "[%d]" % part
        else:
            path += ("." if path else "") + str(part)
    message = error.message
    if len(message) > 160:
        message = message[:157] + "..."
    return "%s: %s" % (path or "(event)", message)


def first_error(validator, event):
    errors = list(validator.iter_errors(event))
    if not errors:
        return None
    best = jsonschema.exceptions.best_match(errors)
    return describe(best)


def read_lines(path):
    with open(path, "r", encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, 1):
            yield number, line.rstrip("\r\n")


def check_valid(validator, path, failures):
    ok = 0
    for number, line in read_lines(path):
        if not line.strip():
            continue
        try:
            event = parse_object(line)
        except ValueError as exc:
            failures.append("%s:%d: not a JSON object: %s" % (path, number, exc))
            continue
        error = first_error(validator, event)
        if error is None:
            ok += 1
        else:
            failures.append("%s:%d: rejected: %s" % (path, number, error))
    return ok


def check_invalid(validator, path, failures, verbose):
    rejected = 0
    skipped = 0
    for number, line in read_lines(path):
        if not line.strip():
            continue
        field, sep, text = line.partition("\t")
        if not sep or not field or not text:
            failures.append("%s:%d: expected <field>\\t<json>" % (path, number))
            continue
        try:
            event = parse_object(text)
        except ValueError as exc:
            failures.append("%s:%d: not a JSON object: %s" % (path, number, exc))
            continue
        if field.startswith("!"):
            skipped += 1
            continue
        error = first_error(validator, event)
        if error is None:
            failures.append("%s:%d: accepted, but should fail on %s" % (path, number, field))
        else:
            rejected += 1
            if verbose:
                print("%s:%d: %s -> %s" % (path, number, field, error))
    return rejected, skipped


def main(argv):
    parser = argparse.ArgumentParser(
        description="Validate event files against the grantline event JSON Schema.")
    parser.add_argument("schema", help="path to event.schema.json")
    parser.add_argument("valid", nargs="*", help="NDJSON files whose events must all pass")
    parser.add_argument("--invalid", action="append", default=[], metavar="TSV",
                        help="<field>\\t<json> lines that must all fail (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the schema error of every rejected invalid line")
    args = parser.parse_args(argv)

    try:
        with open(args.schema, "r", encoding="utf-8") as handle:
            schema = json.load(handle)
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        validator = cls(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as exc:
        sys.stderr.write("schema_check: %s: %s\n" % (args.schema, exc))
        return 2

    failures = []
    valid_ok = 0
    rejected = 0
    skipped = 0
    try:
        for path in args.valid:
            valid_ok += check_valid(validator, path, failures)
        for path in args.invalid:
            count, skip = check_invalid(validator, path, failures, args.verbose)
            rejected += count
            skipped += skip
    except (OSError, UnicodeDecodeError) as exc:
        sys.stderr.write("schema_check: %s\n" % exc)
        return 2

    for failure in failures:
        print("FAIL " + failure)
    summary = "schema: %d valid ok, %d invalid rejected" % (valid_ok, rejected)
    if skipped:
        summary += " (%d schema-inexpressible cases skipped)" % skipped
    if failures:
        summary += ", %d FAILED" % len(failures)
    print(summary)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
