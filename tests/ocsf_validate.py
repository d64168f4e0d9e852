#!/usr/bin/env python3
"""Validate OCSF events (NDJSON) against an uncompiled OCSF schema checkout.

Usage:
    python3 tests/ocsf_validate.py SCHEMA_DIR NDJSON_FILE [--class UID]
                                   [--warn-recommended] [--strict] [--no-warnings]
    python3 tests/ocsf_validate.py SCHEMA_DIR --self-test DATA_DIR

SCHEMA_DIR is a checkout of the OCSF schema repository (version.json,
categories.json, dictionary.json, events/, objects/, profiles/). The tool
compiles it the way the OCSF server / ocsf-schema-compiler do:

  * "$include" at the attributes level (a string or a list of paths relative to
    SCHEMA_DIR, e.g. "profiles/host.json"): the included attributes are the
    base and the item's own attributes are merged on top; attributes coming
    from a profile file ("meta": "profile") are tagged with that profile.
    "$include" inside a single attribute (a path to a JSON fragment) is merged
    the same way.
  * "extends" chains of event classes and of objects: the child's attributes
    are merged over a copy of the flattened parent (dicts such as "enum" are
    deep-merged, scalars such as "requirement" replaced); other keys
    (constraints, uid, category, ...) are replaced when the child has them.
  * a "profile" key on an attribute ("profile": null = not profile-specific).
  * every attribute is the dictionary.json entry deep-merged with the
    class/object entry (so class enums add to / re-caption dictionary enums).
  * dictionary types: a type's primitive base ("type"), "regex", "max_len",
    "range" and "values", inherited from the base type when absent; any other
    dictionary type name is an object name (object_t).
  * class uid = category uid * 1000 + class "uid"; class_uid / category_uid /
    type_uid enums as the compiler builds them; "<name>_dt" (datetime_t)
    siblings of timestamp_t attributes under the "datetime" profile; the
    observable type_id enum gathered from every "observable" in the schema.

Each event is then checked like the OCSF server's validator (Validator2):
types, required attributes, unknown attributes (an object with no attributes,
such as "object" used by "unmapped", accepts anything; json_t accepts any
value), enum values, "at_least_one" / "just_one" constraints, attributes of
profiles that metadata.profiles does not list are unknown, observables[].name
must name a defined attribute; plus the class invariants category_uid,
class_uid = category_uid*1000 + class uid, type_uid = class_uid*100 +
activity_id, and metadata.version == version.json.

Differences from the server, on purpose: a value that does not match its
type's regex is an error (the server only warns), metadata.version other than
the schema version is an error (the server warns for older ones), and
observables[].name may use "[]" / "[N]" array markers as the observable object
documents. Like the server, float_t needs a JSON number with a fraction or
exponent (1.0, not 1), and null counts as absent.

Warnings (deprecated attribute/object/enum value, enum sibling caption
mismatch, missing recommended attributes with --warn-recommended) are printed
but only fail the run with --strict.

--self-test DATA_DIR checks that DATA_DIR/ocsf_good.ndjson is fully valid and
that every DATA_DIR/ocsf_bad/*.json (one JSON object per file) is rejected,
with the expected message where the fixture is listed in BAD_EXPECT.

Output: "line N: PATH: message" per problem, then "ocsf: N objects valid".
Exit status: 0 all valid, 1 some invalid, 2 usage, I/O or schema error.
Standard library only.
"""

import argparse
import copy
import json
import os
import re
import sys

INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1
LONG_MIN, LONG_MAX = -(2 ** 127), 2 ** 127 - 1
REQ_RANK = {None: 0, "optional": 1, "recommended": 2, "required": 3}

# Expected error substring per bad fixture (self-test). A fixture not listed
# here only has to fail.
BAD_EXPECT = {
    "missing_finding_info_uid.json": "finding_info.uid: required attribute missing",
    "time_wrong_type.json": "time: expected timestamp_t (long_t)",
    "severity_id_bad_enum.json": "severity_id: 7 not in enum",
    "unknown_attribute.json": "grantline_rule: unknown attribute",
    "wrong_type_uid.json": "type_uid: 200402 != class_uid*100 + activity_id",
    "evidences_none_of_at_least_one.json": "evidences[0]: constraint at_least_one",
    "wrong_metadata_version.json": "metadata.version: \"1.7.0\" is not the schema version",
    "nested_wrong_type.json": "metadata.product.name: expected string_t, got integer",
    "analytic_type_id_bad_enum.json": "finding_info.analytic.type_id: 42 not in enum",
    "wrong_category_uid.json": "category_uid: 3 does not match class 2004",
    "profile_attribute_without_profile.json": "actor: unknown attribute; it belongs to profile \"host\"",
    "tag_without_value.json": "finding_info.tags[0]: constraint at_least_one",
    "bad_ip_regex.json": "evidences[0].src_endpoint.ip: \"999.1.1.300\" does not match",
    "unknown_class_uid.json": "class_uid: no event class 2099",
    "missing_time.json": "time: required attribute missing",
    "float_for_integer.json": "severity_id: expected integer_t, got float",
    "observable_bad_name.json": "observables[0].name: \"finding_info.nope\" does not refer",
}


class SchemaError(Exception):
    pass


def _load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise SchemaError("cannot read %s: %s" % (path, e.strerror or e))
    except ValueError as e:
        raise SchemaError("%s: invalid JSON: %s" % (path, e))


def _deep_merge(dest, src):
    """Merge src into dest; src wins for non-dict values."""
    for k, v in src.items():
        if k in dest and isinstance(dest[k], dict) and isinstance(v, dict):
            _deep_merge(dest[k], v)
        else:
            dest[k] = copy.deepcopy(v)
    return dest


def _merge_attribute(dest, src):
    for k, v in src.items():
        if k == "profile":
            dest["profile"] = v  # null: the attribute no longer depends on a profile
        elif k in dest and isinstance(dest[k], dict) and isinstance(v, dict):
            _deep_merge(dest[k], v)
        else:
            dest[k] = copy.deepcopy(v)


def _merge_attributes(dest, src, context):
    if "$include" in src:
        raise SchemaError("%s: nested \"$include\" is not supported" % context)
    for name, detail in src.items():
        if not isinstance(detail, dict):
            raise SchemaError("%s: attribute %r is not an object" % (context, name))
        if name in dest:
            _merge_attribute(dest[name], detail)
        else:
            dest[name] = copy.deepcopy(detail)


class Attr(object):
    __slots__ = ("name", "kind", "tname", "prim", "object_type", "is_array", "enum",
                 "requirement", "profile", "sibling", "deprecated", "regex", "max_len",
                 "range", "values", "caption")


class Item(object):
    """A compiled class or object."""
    __slots__ = ("name", "caption", "kind", "uid", "category", "category_uid", "local_uid",
                 "attrs", "constraints", "deprecated", "_filtered")

    def filtered(self, profiles):
        key = profiles
        got = self._filtered.get(key)
        if got is None:
            got = {n: a for n, a in self.attrs.items()
                   if a.profile is None or a.profile in profiles}
            self._filtered[key] = got
        return got

    def describe(self):
        if self.kind == "class":
            return "class \"%s\" %d" % (self.name, self.uid)
        return "object \"%s\"" % self.name


class Schema(object):
    def __init__(self, root):
        self.root = root
        self.notes = []  # schema oddities that did not stop compilation
        self._inc_cache = {}
        if not os.path.isdir(root):
            raise SchemaError("schema directory %s does not exist" % root)
        ver = _load(os.path.join(root, "version.json"))
        if not isinstance(ver, dict) or not isinstance(ver.get("version"), str):
            raise SchemaError("version.json has no \"version\" string")
        self.version = ver["version"]
        self.categories = _load(os.path.join(root, "categories.json")).get("attributes", {})
        d = _load(os.path.join(root, "dictionary.json"))
        self.dict_attrs = d.get("attributes", {})
        self.types = d.get("types", {}).get("attributes", {})
        self.profile_defs = self._read_items("profiles")
        raw_classes = self._read_items("events")
        raw_objects = self._read_items("objects")
        if not raw_classes or not raw_objects:
            raise SchemaError("%s has no events/ or objects/ definitions" % root)

        obs_enum = self._gather_observables(raw_classes, raw_objects)
        for items in (raw_classes, raw_objects):
            for name, it in items.items():
                self._resolve_includes(it, name)
        flat_classes = self._resolve_extends(raw_classes, "class")
        flat_objects = self._resolve_extends(raw_objects, "object")
        self._hidden_classes = {n for n, it in raw_classes.items()
                                if n.startswith("_") or ("uid" not in it and n != "base_event")}
        self._enrich_classes(flat_classes)
        if "observable" in flat_objects:
            tid = flat_objects["observable"].setdefault("attributes", {}).setdefault("type_id", {})
            en = tid.setdefault("enum", {})
            for k, v in obs_enum.items():
                en.setdefault(k, v)
        add_dt = "datetime" in self.profile_defs and "datetime_t" in self.types
        self.objects = {}
        for name, it in flat_objects.items():
            self.objects[name] = self._finish(name, it, "object", add_dt)
        self.classes = {}
        self.class_by_uid = {}
        for name, it in flat_classes.items():
            if name in self._hidden_classes:
                continue
            c = self._finish(name, it, "class", add_dt)
            self.classes[name] = c
            if c.uid in self.class_by_uid:
                self.notes.append("classes %s and %s share uid %d"
                                  % (self.class_by_uid[c.uid].name, name, c.uid))
            self.class_by_uid[c.uid] = c
        for it in list(self.objects.values()) + list(self.classes.values()):
            for a in it.attrs.values():
                if a.kind == "object" and a.object_type not in self.objects:
                    self.notes.append("%s attribute %s: undefined object type %r"
                                      % (it.describe(), a.name, a.object_type))
                    a.kind, a.prim, a.tname = "prim", "json_t", "json_t"

    # ---- reading ---------------------------------------------------------

    def _read_items(self, sub):
        base = os.path.join(self.root, sub)
        items = {}
        if not os.path.isdir(base):
            return items
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for fn in sorted(filenames):
                if not fn.endswith(".json"):
                    continue
                path = os.path.join(dirpath, fn)
                it = _load(path)
                if not isinstance(it, dict):
                    raise SchemaError("%s is not a JSON object" % path)
                name = it.get("name") or fn[:-5]
                if name in items:
                    raise SchemaError("%s: duplicate %s name %r" % (path, sub, name))
                items[name] = it
        return items

    def _include(self, rel, context):
        path = os.path.normpath(os.path.join(self.root, rel))
        if path not in self._inc_cache:
            if not os.path.isfile(path):
                raise SchemaError("%s: $include %r: no such file under %s"
                                  % (context, rel, self.root))
            self._inc_cache[path] = _load(path)
        return self._inc_cache[path]

    def _resolve_includes(self, item, name):
        attrs = item.setdefault("attributes", {})
        inc = attrs.pop("$include", None)
        if inc is not None:
            for rel in ([inc] if isinstance(inc, str) else inc):
                if not isinstance(rel, str):
                    raise SchemaError("%s: $include entries must be strings" % name)
                content = self._include(rel, name)
                base = copy.deepcopy(content.get("attributes", {}))
                if content.get("meta") == "profile":
                    for detail in base.values():
                        detail["profile"] = content.get("name")
                for k, v in (content.get("annotations") or {}).items():
                    for detail in base.values():
                        detail.setdefault(k, v)
                _merge_attributes(base, item["attributes"], name)
                item["attributes"] = base
        attrs = item["attributes"]
        for aname, detail in list(attrs.items()):
            if isinstance(detail, dict) and "$include" in detail:
                rel = detail.pop("$include")
                if not isinstance(rel, str):
                    raise SchemaError("%s.%s: $include must be a string" % (name, aname))
                new = copy.deepcopy(self._include(rel, "%s.%s" % (name, aname)))
                _merge_attribute(new, detail)
                attrs[aname] = new

    def _resolve_extends(self, raw, kind):
        flat = {}

        def resolve(name, chain):
            if name in flat:
                return flat[name]
            if name in chain:
                raise SchemaError("%s extends cycle: %s" % (kind, " -> ".join(chain + [name])))
            it = raw.get(name)
            if it is None:
                raise SchemaError("%s %r extends undefined %r" % (kind, chain[-1], name))
            parent_name = it.get("extends")
            if parent_name:
                new = copy.deepcopy(resolve(parent_name, chain + [name]))
                for k, v in it.items():
                    if k == "attributes":
                        _merge_attributes(new.setdefault("attributes", {}), v,
                                          "%s %s" % (kind, name))
                    elif k == "profiles":
                        new["profiles"] = sorted(set(new.get("profiles") or []) | set(v or []))
                    else:
                        new[k] = copy.deepcopy(v)
                # "@deprecated" of a parent does not make the child deprecated
                if "@deprecated" not in it:
                    new.pop("@deprecated", None)
            else:
                new = copy.deepcopy(it)
            flat[name] = new
            return new

        for name in raw:
            resolve(name, [])
        return flat

    def _gather_observables(self, raw_classes, raw_objects):
        enum = {}

        def add(tid, caption):
            enum.setdefault(str(tid), {"caption": caption})

        for tname, t in self.types.items():
            if "observable" in t:
                add(t["observable"], t.get("caption", tname))
        for aname, a in self.dict_attrs.items():
            if "observable" in a:
                add(a["observable"], a.get("caption", aname))
        for items, kind in ((raw_objects, "Object"), (raw_classes, "Class")):
            for name, it in items.items():
                if "observable" in it:
                    add(it["observable"], it.get("caption", name))
                for aname, a in (it.get("attributes") or {}).items():
                    if isinstance(a, dict) and "observable" in a:
                        add(a["observable"], "%s %s: %s" % (it.get("caption", name), kind, aname))
                for path, tid in (it.get("observables") or {}).items():
                    add(tid, "%s %s: %s" % (it.get("caption", name), kind, path))
        return enum

    # ---- compiling -------------------------------------------------------

    def _enrich_classes(self, flat):
        for name, it in flat.items():
            if name in self._hidden_classes:
                continue
            cat_key = it.get("category")
            attrs = it.setdefault("attributes", {})
            cat = self.categories.get(cat_key) if cat_key else None
            if cat is not None:
                cat_uid = cat.get("uid", 0)
            elif cat_key == "other":
                cat_uid = 0
            else:
                raise SchemaError("class %s: undefined category %r" % (name, cat_key))
            local = it.get("uid", 0)
            uid = cat_uid * 1000 + local
            it["_uid"], it["_category_uid"], it["_local_uid"] = uid, cat_uid, local
            caption = it.get("caption", name)
            act = attrs.get("activity_id") or {}
            if "enum" not in act:
                raise SchemaError("class %s: activity_id has no enum" % name)
            tu = {str(uid * 100 + int(k)): {"caption": "%s: %s" % (caption, v.get("caption", ""))}
                  for k, v in act["enum"].items()}
            tu.setdefault(str(uid * 100), {"caption": "%s: Unknown" % caption})
            attrs.setdefault("type_uid", {})["enum"] = tu
            attrs.setdefault("class_uid", {})["enum"] = {str(uid): {"caption": caption}}
            if cat is not None:
                attrs.setdefault("category_uid", {})["enum"] = {
                    str(cat_uid): {"caption": cat.get("caption", cat_key)}}

    def _type_chain(self, tname):
        chain, seen = [], set()
        while tname in self.types and tname not in seen:
            seen.add(tname)
            chain.append(self.types[tname])
            nxt = self.types[tname].get("type")
            if not nxt:
                return chain, tname
            tname = nxt
        return chain, tname

    def _finish(self, name, it, kind, add_dt):
        attrs_in = it.get("attributes") or {}
        if add_dt:
            extra = {}
            for aname, a in attrs_in.items():
                t = a.get("type") or self.dict_attrs.get(aname, {}).get("type")
                if t == "timestamp_t" and aname + "_dt" not in attrs_in:
                    dt = copy.deepcopy(a)
                    dt.update({"profile": "datetime", "requirement": "optional",
                               "type": "datetime_t"})
                    dt.pop("enum", None)
                    extra[aname + "_dt"] = dt
            attrs_in = dict(attrs_in, **extra)
        item = Item()
        item.name, item.kind = name, kind
        item.caption = it.get("caption", name)
        item.uid = it.get("_uid")
        item.category = it.get("category")
        item.category_uid = it.get("_category_uid")
        item.local_uid = it.get("_local_uid")
        item.constraints = it.get("constraints") or {}
        item.deprecated = it.get("@deprecated")
        item._filtered = {}
        item.attrs = {}
        for aname, detail in attrs_in.items():
            base = self.dict_attrs.get(aname)
            if base is None:
                if aname.endswith("_dt") and aname[:-3] in self.dict_attrs:
                    base = dict(self.dict_attrs[aname[:-3]], type="datetime_t")
                    base.pop("enum", None)
                else:
                    self.notes.append("%s %s: attribute %r is not in dictionary.json "
                                      "(accepted as json_t)" % (kind, name, aname))
                    base = {"type": "json_t"}
            full = _deep_merge(copy.deepcopy(base), detail)
            item.attrs[aname] = self._make_attr(aname, full)
        return item

    def _make_attr(self, aname, full):
        a = Attr()
        a.name = aname
        a.caption = full.get("caption", aname)
        t = full.get("type") or "json_t"
        a.tname = t
        a.is_array = bool(full.get("is_array"))
        a.enum = full.get("enum") if isinstance(full.get("enum"), dict) else None
        req = full.get("requirement")
        a.requirement = req if req in REQ_RANK else "optional"
        a.profile = full.get("profile")
        a.sibling = full.get("sibling")
        a.deprecated = full.get("@deprecated")
        a.regex = a.max_len = a.range = a.values = None
        a.object_type = None
        if t in self.types:
            chain, prim = self._type_chain(t)
            a.kind, a.prim = "prim", prim
            for td in chain:  # subtype first, then its base types
                if a.regex is None and "regex" in td:
                    try:
                        a.regex = re.compile(td["regex"], re.ASCII)
                    except re.error as e:
                        self.notes.append("type %s: regex does not compile in Python (%s); "
                                          "not checked" % (t, e))
                        a.regex = False
                if a.max_len is None and "max_len" in td:
                    a.max_len = td["max_len"]
                if a.range is None and "range" in td:
                    a.range = td["range"]
                if a.values is None and "values" in td:
                    a.values = td["values"]
            if a.prim not in ("boolean_t", "integer_t", "long_t", "float_t", "string_t",
                              "json_t"):
                self.notes.append("type %s: unknown primitive %s (accepted as json_t)"
                                  % (t, a.prim))
                a.prim = "json_t"
        else:
            a.kind, a.prim, a.object_type = "object", "object_t", t
        return a


# ---- validation ----------------------------------------------------------

def _json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _show(v, limit=60):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _enum_key(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return v if isinstance(v, str) else repr(v)
    return None


def _enum_list(enum):
    def order(k):
        try:
            return (0, int(k), k)
        except ValueError:
            return (1, 0, k)
    keys = sorted(enum, key=order)
    parts = ["%s %s" % (k, enum[k].get("caption", "")) for k in keys[:16]]
    if len(keys) > 16:
        parts.append("... %d more" % (len(keys) - 16))
    return ", ".join(parts)


def _join(path, name):
    return "%s.%s" % (path, name) if path else name


class Result(object):
    def __init__(self):
        self.errors = []
        self.warnings = []

    def err(self, path, msg):
        self.errors.append("%s: %s" % (path, msg) if path else msg)

    def warn(self, path, msg):
        self.warnings.append("%s: %s" % (path, msg) if path else msg)


class Validator(object):
    # top-level attributes whose enum errors are replaced by invariant checks
    INVARIANT_ATTRS = ("class_uid", "category_uid", "type_uid")

    def __init__(self, schema, only_class=None, warn_recommended=False):
        self.s = schema
        self.only_class = only_class
        self.warn_recommended = warn_recommended

    def validate(self, event):
        r = Result()
        if not isinstance(event, dict):
            r.err("", "expected a JSON object, got %s" % _json_type(event))
            return r
        cu = event.get("class_uid")
        if cu is None:
            r.err("class_uid", "required attribute missing")
            return r
        if isinstance(cu, bool) or not isinstance(cu, int):
            r.err("class_uid", "expected integer_t, got %s %s" % (_json_type(cu), _show(cu)))
            return r
        if self.only_class is not None and cu != self.only_class:
            r.err("class_uid", "%d is not the class %d given with --class" % (cu, self.only_class))
            return r
        cls = self.s.class_by_uid.get(cu)
        if cls is None:
            r.err("class_uid", "no event class %d in schema %s (known: %s)"
                  % (cu, self.s.version, ", ".join(str(u) for u in sorted(self.s.class_by_uid))))
            return r
        profiles = self._profiles(event, r)
        if cls.deprecated:
            r.warn("", "class %s is deprecated: %s" % (cls.name, _dep_msg(cls.deprecated)))
        self._object(event, cls, "", profiles, r, top=True)
        self._invariants(event, cls, r)
        self._observables(event, cls, profiles, r)
        return r

    def _profiles(self, event, r):
        md = event.get("metadata")
        if not isinstance(md, dict) or not isinstance(md.get("profiles"), list):
            return frozenset()
        out = set()
        for i, p in enumerate(md["profiles"]):
            if isinstance(p, str):
                if p not in self.s.profile_defs:
                    r.err("metadata.profiles[%d]" % i, "unknown profile %s (defined: %s)"
                          % (_show(p), ", ".join(sorted(self.s.profile_defs))))
                out.add(p)
        return frozenset(out)

    def _invariants(self, event, cls, r):
        cu = event.get("class_uid")
        cat = event.get("category_uid")
        if _is_int(cat) and cat != cls.category_uid:
            r.err("category_uid", "%d does not match class %d %s (category %s = %d; "
                  "class_uid = category_uid*1000 + %d)"
                  % (cat, cls.uid, cls.caption, cls.category, cls.category_uid, cls.local_uid))
        elif _is_int(cat) and cat * 1000 + cls.local_uid != cu:
            r.err("class_uid", "%d != category_uid*1000 + class uid %d" % (cu, cls.local_uid))
        act = event.get("activity_id")
        tu = event.get("type_uid")
        if _is_int(act) and _is_int(tu) and tu != cu * 100 + act:
            r.err("type_uid", "%d != class_uid*100 + activity_id = %d*100 + %d = %d"
                  % (tu, cu, act, cu * 100 + act))
        md = event.get("metadata")
        if isinstance(md, dict) and "version" in md and md["version"] != self.s.version:
            r.err("metadata.version", "%s is not the schema version \"%s\""
                  % (_show(md["version"]), self.s.version))

    def _object(self, data, item, path, profiles, r, top=False):
        if item.deprecated and not top:
            r.warn(path, "object %s is deprecated: %s" % (item.name, _dep_msg(item.deprecated)))
        attrs = item.filtered(profiles)
        for name, a in attrs.items():
            v = data.get(name)
            p = _join(path, name)
            if v is None:
                if a.requirement == "required":
                    r.err(p, "required attribute missing" + (" (null)" if name in data else ""))
                elif a.requirement == "recommended" and self.warn_recommended:
                    r.warn(p, "recommended attribute missing")
                continue
            if a.deprecated:
                r.warn(p, "deprecated attribute: %s" % _dep_msg(a.deprecated))
            if a.is_array:
                if not isinstance(v, list):
                    r.err(p, "expected array of %s, got %s %s" % (a.tname, _json_type(v), _show(v)))
                    continue
                for i, el in enumerate(v):
                    self._value(el, a, "%s[%d]" % (p, i), profiles, r)
            else:
                self._value(v, a, p, profiles, r)
            if a.enum is not None and not (top and name in self.INVARIANT_ATTRS):
                self._enum(data, v, a, path, p, r)
        if item.attrs:  # an object with no attributes ("object") accepts anything
            for key in data:
                if key not in attrs:
                    full = item.attrs.get(key)
                    if full is not None and full.profile is not None:
                        r.err(_join(path, key), "unknown attribute; it belongs to profile \"%s\", "
                              "which metadata.profiles does not list" % full.profile)
                    else:
                        r.err(_join(path, key), "unknown attribute (not defined in %s)"
                              % item.describe())
        for ckey, cattrs in item.constraints.items():
            if not isinstance(cattrs, list):
                continue
            present = [k for k in cattrs if data.get(k) is not None]
            where = path or "<event>"
            if ckey == "at_least_one":
                if not present:
                    r.err(where, "constraint at_least_one of %s from %s: none present"
                          % ("/".join(cattrs), item.describe()))
            elif ckey == "just_one":
                if len(present) != 1:
                    r.err(where, "constraint just_one of %s from %s: %d present%s"
                          % ("/".join(cattrs), item.describe(), len(present),
                             " (%s)" % ", ".join(present) if present else ""))
            else:
                r.err(where, "schema: unknown constraint %r in %s" % (ckey, item.describe()))

    def _value(self, v, a, p, profiles, r):
        if v is None:
            r.err(p, "null is not a %s" % a.tname)
            return
        if a.kind == "object":
            if not isinstance(v, dict):
                r.err(p, "expected %s (object), got %s %s" % (a.object_type, _json_type(v), _show(v)))
                return
            self._object(v, self.s.objects[a.object_type], p, profiles, r)
            return
        prim = a.prim
        label = a.tname if a.tname == prim else "%s (%s)" % (a.tname, prim)
        if prim == "json_t":
            return
        if prim == "string_t":
            if not isinstance(v, str):
                r.err(p, "expected %s, got %s %s" % (label, _json_type(v), _show(v)))
                return
            if a.max_len is not None and len(v) > a.max_len:
                r.err(p, "length %d exceeds %s max_len %d" % (len(v), a.tname, a.max_len))
            if a.regex and not a.regex.search(v):
                r.err(p, "%s does not match the %s regex" % (_show(v), a.tname))
        elif prim == "boolean_t":
            if not isinstance(v, bool):
                r.err(p, "expected %s, got %s %s" % (label, _json_type(v), _show(v)))
                return
        elif prim in ("integer_t", "long_t"):
            lo, hi = (INT_MIN, INT_MAX) if prim == "integer_t" else (LONG_MIN, LONG_MAX)
            if isinstance(v, bool) or not isinstance(v, int):
                r.err(p, "expected %s, got %s %s" % (label, _json_type(v), _show(v)))
                return
            if not lo <= v <= hi:
                r.err(p, "%d is out of the %s range" % (v, prim))
                return
        elif prim == "float_t":
            if not isinstance(v, float):
                hint = " (write %d.0)" % v if _is_int(v) else ""
                r.err(p, "expected %s, got %s %s%s" % (label, _json_type(v), _show(v), hint))
                return
        if a.range is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
            lo, hi = a.range
            if not lo <= v <= hi:
                r.err(p, "%s is outside the %s range %s..%s" % (_show(v), a.tname, lo, hi))
        if a.values is not None and v not in a.values:
            r.err(p, "%s is not one of the %s values %s" % (_show(v), a.tname, _show(a.values)))

    def _enum(self, data, v, a, parent, p, r):
        def check(val, ep, sib_index):
            key = _enum_key(val)
            entry = a.enum.get(key) if key is not None else None
            if entry is None:
                r.err(ep, "%s not in enum (allowed: %s)" % (_show(val), _enum_list(a.enum)))
                return
            if isinstance(entry, dict) and entry.get("@deprecated"):
                r.warn(ep, "enum value %s is deprecated: %s"
                       % (_show(val), _dep_msg(entry["@deprecated"])))
            sib = a.sibling
            if not sib or data.get(sib) is None or val == 99:
                return
            sv = data[sib]
            sp = _join(parent, sib)
            cap = entry.get("caption") if isinstance(entry, dict) else None
            if sib_index is None:
                if sv != cap:
                    r.warn(sp, "%s does not match the caption \"%s\" of %s %s"
                           % (_show(sv), cap, p, _show(val)))
            else:
                svi = sv[sib_index] if isinstance(sv, list) and sib_index < len(sv) else None
                if svi is None:
                    r.err("%s[%d]" % (sp, sib_index), "enum array sibling missing for %s"
                          % ep)
                elif svi != cap:
                    r.err("%s[%d]" % (sp, sib_index), "%s does not match the caption \"%s\" "
                          "of %s" % (_show(svi), cap, ep))

        if a.is_array:
            if isinstance(v, list):
                for i, el in enumerate(v):
                    check(el, "%s[%d]" % (p, i), i)
        else:
            check(v, p, None)

    def _observables(self, event, cls, profiles, r):
        obs = event.get("observables")
        if not isinstance(obs, list):
            return
        for i, o in enumerate(obs):
            if not isinstance(o, dict) or not isinstance(o.get("name"), str):
                continue
            item, ok = cls, True
            parts = o["name"].split(".")
            for j, part in enumerate(parts):
                part = re.sub(r"\[\d*\]$", "", part)
                a = item.filtered(profiles).get(part) if item else None
                if a is None or (j < len(parts) - 1 and a.kind != "object"):
                    ok = False
                    break
                item = self.s.objects.get(a.object_type) if a.kind == "object" else None
            if not ok:
                r.err("observables[%d].name" % i, "%s does not refer to an attribute of %s"
                      % (_show(o["name"]), cls.describe()))


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _dep_msg(d):
    if isinstance(d, dict):
        msg = re.sub(r"<[^>]+>", "", str(d.get("message", ""))).strip()
        return "%s (since %s)" % (msg, d.get("since", "?"))
    return str(d)


# ---- input ----------------------------------------------------------------

def _no_dupes(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError("duplicate key %r" % k)
        obj[k] = v
    return obj


def _bad_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def parse_json(text):
    return json.loads(text, object_pairs_hook=_no_dupes, parse_constant=_bad_constant)


def validate_lines(validator, lines, out, strict=False, show_warnings=True):
    """Validate (line number, text) pairs; return (objects, valid)."""
    n = valid = 0
    for lineno, text in lines:
        if not text.strip():
            continue
        n += 1
        try:
            ev = parse_json(text)
        except ValueError as e:
            out.write("line %d: invalid JSON: %s\n" % (lineno, e))
            continue
        res = validator.validate(ev)
        for m in res.errors:
            out.write("line %d: %s\n" % (lineno, m))
        if show_warnings or strict:
            for m in res.warnings:
                out.write("line %d: warning: %s\n" % (lineno, m))
        if not res.errors and not (strict and res.warnings):
            valid += 1
    return n, valid


def _read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [(i, line) for i, line in enumerate(f, 1)]


def self_test(schema, data_dir, out):
    v = Validator(schema)
    failures = 0
    good = os.path.join(data_dir, "ocsf_good.ndjson")
    bad_dir = os.path.join(data_dir, "ocsf_bad")
    try:
        lines = _read_lines(good)
        bad_files = sorted(f for f in os.listdir(bad_dir) if f.endswith(".json"))
    except OSError as e:
        out.write("ocsf self-test: %s\n" % e)
        return 2
    n, ok = validate_lines(v, lines, out)
    if n == 0 or ok != n:
        out.write("FAIL %s: %d of %d objects valid\n" % (good, ok, n))
        failures += 1
    else:
        out.write("ok   %s: %d objects valid\n" % (good, n))
    if not bad_files:
        out.write("FAIL %s: no *.json fixtures\n" % bad_dir)
        failures += 1
    for fn in bad_files:
        path = os.path.join(bad_dir, fn)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            ev = parse_json(text)
            errors = v.validate(ev).errors
        except (OSError, ValueError) as e:
            errors = ["unreadable: %s" % e]
        want = BAD_EXPECT.get(fn)
        if not errors:
            out.write("FAIL %s: accepted, expected a rejection\n" % fn)
            failures += 1
        elif want and not any(want in e for e in errors):
            out.write("FAIL %s: expected an error containing %r, got: %s\n"
                      % (fn, want, " | ".join(errors)))
            failures += 1
        else:
            out.write("ok   %s: %s\n" % (fn, errors[0] if not want else
                                         next(e for e in errors if want in e)))
    missing = sorted(set(BAD_EXPECT) - set(bad_files))
    for fn in missing:
        out.write("note %s: listed in BAD_EXPECT but not present\n" % fn)
    out.write("ocsf self-test: %s (%d bad fixtures)\n"
              % ("FAILED" if failures else "passed", len(bad_files)))
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="ocsf_validate.py",
        description="Validate NDJSON OCSF events against an OCSF schema checkout.")
    ap.add_argument("schema_dir", metavar="SCHEMA_DIR")
    ap.add_argument("ndjson", metavar="NDJSON_FILE", nargs="?",
                    help="one JSON object per line ('-' for stdin)")
    ap.add_argument("--class", dest="cls", metavar="UID",
                    help="require every object to be of this class_uid (e.g. 2004)")
    ap.add_argument("--self-test", metavar="DATA_DIR",
                    help="check DATA_DIR/ocsf_good.ndjson passes and DATA_DIR/ocsf_bad/*.json fail")
    ap.add_argument("--warn-recommended", action="store_true",
                    help="warn about missing recommended attributes")
    ap.add_argument("--strict", action="store_true", help="warnings make an object invalid")
    ap.add_argument("--no-warnings", action="store_true", help="do not print warnings")
    args = ap.parse_args(argv)
    if (args.ndjson is None) == (args.self_test is None):
        ap.print_usage(sys.stderr)
        sys.stderr.write("ocsf_validate.py: give exactly one of NDJSON_FILE or --self-test\n")
        return 2
    try:
        schema = Schema(args.schema_dir)
    except SchemaError as e:
        sys.stderr.write("ocsf: schema error: %s\n" % e)
        return 2
    for note in schema.notes:
        sys.stderr.write("ocsf: schema note: %s\n" % note)
    if args.self_test is not None:
        return self_test(schema, args.self_test, sys.stdout)
    only = None
    if args.cls is not None:
        try:
            only = int(args.cls)
        except ValueError:
            sys.stderr.write("ocsf: --class needs an integer class_uid, got %r\n" % args.cls)
            return 2
        if only not in schema.class_by_uid:
            sys.stderr.write("ocsf: --class %d: no such class in schema %s\n"
                             % (only, schema.version))
            return 2
    try:
        if args.ndjson == "-":
            lines = list(enumerate(sys.stdin, 1))
        else:
            lines = _read_lines(args.ndjson)
    except (OSError, UnicodeDecodeError) as e:
        sys.stderr.write("ocsf: cannot read %s: %s\n" % (args.ndjson, e))
        return 2
    v = Validator(schema, only, args.warn_recommended)
    out = sys.stdout
    n, ok = validate_lines(v, lines, out, args.strict, not args.no_warnings)
    if ok == n:
        out.write("ocsf: %d objects valid\n" % n)
        return 0
    out.write("ocsf: %d objects valid, %d invalid (of %d)\n" % (ok, n - ok, n))
    return 1


if __name__ == "__main__":
    sys.exit(main())
