/*
 * simdjson_shim.cpp - C entry points for simdjson 3.x (Debian 12:
 * libsimdjson-dev 3.0.1), used by json_parsers.c.
 *
 * Built twice by run.sh: once with plain -O2 (the ondemand front end is
 * header-only and compiled for the baseline CPU, so it uses the "fallback"
 * kernel) and once with -march=haswell (AVX2 + PCLMUL: "haswell" kernel;
 * x86-64-v3 alone lacks PCLMUL and still gets "fallback"). SJ_PREFIX gives
 * each build its own symbol names. The DOM parser lives in the shared
 * library and picks its kernel at run time (icelake here) in both builds.
 * It also packs a DOM into msgpack (sizes are known up front) for the
 * "simdjson DOM->msgpack" rows.
 *
 * Kafka message buffers are not padded, so each event is first copied into
 * one reused buffer with SIMDJSON_PADDING spare bytes; the copy is timed.
 */
#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

extern "C" {
#include <msgpack.h>

#include "bench_common.h"
}

#ifndef SJ_PREFIX
#define SJ_PREFIX sj_base_
#endif
#define SJ_CAT2(a, b) a##b
#define SJ_CAT(a, b)  SJ_CAT2(a, b)
#define SJ(name)      SJ_CAT(SJ_PREFIX, name)
#define SJ_STR2(x)    #x
#define SJ_STR(x)     SJ_STR2(x)

using namespace simdjson;

namespace {

std::unique_ptr<char[]> g_pad;
size_t g_cap;
ondemand::parser g_od;
dom::parser g_dom;
std::string g_desc;

const char *pad_copy(const char *buf, size_t len)
{
    if (len + SIMDJSON_PADDING > g_cap) {
        g_cap = (len + SIMDJSON_PADDING) * 2;
        g_pad.reset(new char[g_cap]);
    }
    memcpy(g_pad.get(), buf, len);
    memset(g_pad.get() + len, 0, SIMDJSON_PADDING);
    return g_pad.get();
}

/* ---------------- ondemand ---------------- */

/*
 * simdjson 3.0.1 has no document::at_end(); current_location() answers
 * OUT_OF_BOUNDS once every structural token was consumed.
 */
bool od_at_end(ondemand::document &doc)
{
    return doc.current_location().error() == OUT_OF_BOUNDS;
}

error_code od_walk(ondemand::value v, bench_acc &a)
{
    ondemand::json_type t;
    auto err = v.type().get(t);
    if (err)
        return err;
    a.nodes++;
    switch (t) {
    case ondemand::json_type::object: {
        ondemand::object o;
        if ((err = v.get_object().get(o)))
            return err;
        for (auto fr : o) {
            ondemand::field f;
            std::string_view k;
            if ((err = std::move(fr).get(f)) || (err = f.unescaped_key().get(k)))
                return err;
            a.attrs += bench_hstr(k.data(), k.size());
            if ((err = od_walk(f.value(), a)))
                return err;
        }
        return SUCCESS;
    }
    case ondemand::json_type::array: {
        ondemand::array arr;
        if ((err = v.get_array().get(arr)))
            return err;
        for (auto vr : arr) {
            ondemand::value e;
            if ((err = std::move(vr).get(e)) || (err = od_walk(e, a)))
                return err;
        }
        return SUCCESS;
    }
    case ondemand::json_type::string: {
        std::string_view s;
        if ((err = v.get_string().get(s)))
            return err;
        a.attrs += bench_hstr(s.data(), s.size());
        return SUCCESS;
    }
    case ondemand::json_type::number: {
        ondemand::number_type nt;
        if ((err = v.get_number_type().get(nt)))
            return err;
        if (nt == ondemand::number_type::floating_point_number) {
            double d;
            if ((err = v.get_double().get(d)))
                return err;
            a.attrs += bench_hdbl(d);
        } else if (nt == ondemand::number_type::signed_integer) {
            int64_t i;
            if ((err = v.get_int64().get(i)))
                return err;
            a.attrs += bench_hint(i);
        } else {
            uint64_t u;
            if ((err = v.get_uint64().get(u)))
                return err;
            a.attrs += bench_hint((int64_t)u);
        }
        return SUCCESS;
    }
    case ondemand::json_type::boolean: {
        bool b;
        if ((err = v.get_bool().get(b)))
            return err;
        a.attrs += b ? BENCH_H_TRUE : BENCH_H_FALSE;
        return SUCCESS;
    }
    case ondemand::json_type::null:
        if (!v.is_null())
            return INCORRECT_TYPE;
        a.attrs += BENCH_H_NULL;
        return SUCCESS;
    }
    return INCORRECT_TYPE;
}

error_code od_sub(ondemand::value v, int tag, bench_acc &a)
{
    ondemand::object o;
    auto err = v.get_object().get(o);
    if (err)
        return err == INCORRECT_TYPE ? SUCCESS : err;
    for (auto fr : o) {
        ondemand::field f;
        std::string_view k, s;
        if ((err = std::move(fr).get(f)) || (err = f.unescaped_key().get(k)))
            return err;
        int sub = bench_sub_tag(k.data(), k.size());
        ondemand::json_type t;
        if ((err = f.value().type().get(t)))
            return err;
        if (sub != S_UNKNOWN && t == ondemand::json_type::string) {
            if ((err = f.value().get_string().get(s)))
                return err;
            bench_field(&a, tag, sub, bench_hstr(s.data(), s.size()));
        }
        /* unread values are skipped by the iterator */
    }
    return SUCCESS;
}

error_code od_event(const char *buf, size_t len, uint64_t *out, ondemand::document &doc)
{
    const char *p = pad_copy(buf, len);
    auto err = g_od.iterate(p, len, len + SIMDJSON_PADDING).get(doc);
    if (err)
        return err;
    ondemand::object obj;
    if ((err = doc.get_object().get(obj)))
        return err;
    bench_acc a = {0, 0, 0};
    for (auto fr : obj) {
        ondemand::field f;
        std::string_view k;
        if ((err = std::move(fr).get(f)) || (err = f.unescaped_key().get(k)))
            return err;
        int tag = bench_top_tag(k.data(), k.size());
        switch (bench_kind(tag)) {
        case K_SCALAR: {
            ondemand::json_type t;
            if ((err = f.value().type().get(t)))
                return err;
            if (t == ondemand::json_type::string) {
                std::string_view s;
                if ((err = f.value().get_string().get(s)))
                    return err;
                bench_field(&a, tag, 0, bench_hstr(s.data(), s.size()));
            } else if (t == ondemand::json_type::number && tag == T_TS) {
                int64_t i;
                if ((err = f.value().get_int64().get(i)))
                    return err;
                bench_field(&a, tag, 0, bench_hint(i));
            }
            break;
        }
        case K_OBJECT:
            if ((err = od_sub(f.value(), tag, a)))
                return err;
            break;
        case K_PERMLIST: {
            ondemand::array arr;
            if ((err = f.value().get_array().get(arr)))
                break;
            for (auto vr : arr) {
                ondemand::value e;
                if ((err = std::move(vr).get(e)) || (err = od_sub(e, tag, a)))
                    return err;
            }
            break;
        }
        default: /* attrs and unknown keys */
            if (tag == T_UNKNOWN)
                a.attrs += bench_hstr(k.data(), k.size());
            if ((err = od_walk(f.value(), a)))
                return err;
            break;
        }
    }
    if (!od_at_end(doc))
        return TRAILING_CONTENT;
    *out = bench_finish(&a);
    return SUCCESS;
}

/* ---------------- DOM ---------------- */

void dom_walk(dom::element e, bench_acc &a)
{
    a.nodes++;
    switch (e.type()) {
    case dom::element_type::OBJECT:
        for (dom::key_value_pair kv : dom::object(e)) {
            a.attrs += bench_hstr(kv.key.data(), kv.key.size());
            dom_walk(kv.value, a);
        }
        break;
    case dom::element_type::ARRAY:
        for (dom::element c : dom::array(e))
            dom_walk(c, a);
        break;
    case dom::element_type::STRING: {
        std::string_view s = std::string_view(e);
        a.attrs += bench_hstr(s.data(), s.size());
        break;
    }
    case dom::element_type::INT64:
        a.attrs += bench_hint(int64_t(e));
        break;
    case dom::element_type::UINT64:
        a.attrs += bench_hint((int64_t)uint64_t(e));
        break;
    case dom::element_type::DOUBLE:
        a.attrs += bench_hdbl(double(e));
        break;
    case dom::element_type::BOOL:
        a.attrs += bool(e) ? BENCH_H_TRUE : BENCH_H_FALSE;
        break;
    case dom::element_type::NULL_VALUE:
        a.attrs += BENCH_H_NULL;
        break;
    }
}

void dom_sub(dom::element e, int tag, bench_acc &a)
{
    if (e.type() != dom::element_type::OBJECT)
        return;
    for (dom::key_value_pair kv : dom::object(e)) {
        int sub = bench_sub_tag(kv.key.data(), kv.key.size());
        if (sub != S_UNKNOWN && kv.value.type() == dom::element_type::STRING) {
            std::string_view s = std::string_view(kv.value);
            bench_field(&a, tag, sub, bench_hstr(s.data(), s.size()));
        }
    }
}

error_code dom_event(const char *buf, size_t len, uint64_t *out)
{
    const char *p = pad_copy(buf, len);
    dom::element root;
    auto err = g_dom.parse(p, len, false).get(root);
    if (err)
        return err;
    if (root.type() != dom::element_type::OBJECT)
        return INCORRECT_TYPE;
    bench_acc a = {0, 0, 0};
    for (dom::key_value_pair kv : dom::object(root)) {
        int tag = bench_top_tag(kv.key.data(), kv.key.size());
        switch (bench_kind(tag)) {
        case K_SCALAR:
            if (kv.value.type() == dom::element_type::STRING) {
                std::string_view s = std::string_view(kv.value);
                bench_field(&a, tag, 0, bench_hstr(s.data(), s.size()));
            } else if (tag == T_TS && kv.value.type() == dom::element_type::INT64) {
                bench_field(&a, tag, 0, bench_hint(int64_t(kv.value)));
            }
            break;
        case K_OBJECT:
            dom_sub(kv.value, tag, a);
            break;
        case K_PERMLIST:
            if (kv.value.type() == dom::element_type::ARRAY)
                for (dom::element c : dom::array(kv.value))
                    dom_sub(c, tag, a);
            break;
        default:
            if (tag == T_UNKNOWN)
                a.attrs += bench_hstr(kv.key.data(), kv.key.size());
            dom_walk(kv.value, a);
            break;
        }
    }
    *out = bench_finish(&a);
    return SUCCESS;
}

/* ---------------- DOM -> msgpack ---------------- */

msgpack_sbuffer g_sb;
msgpack_packer g_pk;
bool g_pk_ready;

/* container sizes are on the tape, so headers are minimal and written up front */
int pack(dom::element e)
{
    switch (e.type()) {
    case dom::element_type::OBJECT: {
        dom::object o = e;
        if (msgpack_pack_map(&g_pk, o.size()))
            return -1;
        for (dom::key_value_pair kv : o) {
            if (msgpack_pack_str(&g_pk, kv.key.size()) ||
                msgpack_pack_str_body(&g_pk, kv.key.data(), kv.key.size()) || pack(kv.value))
                return -1;
        }
        return 0;
    }
    case dom::element_type::ARRAY: {
        dom::array a = e;
        if (msgpack_pack_array(&g_pk, a.size()))
            return -1;
        for (dom::element c : a)
            if (pack(c))
                return -1;
        return 0;
    }
    case dom::element_type::STRING: {
        std::string_view s = std::string_view(e);
        return msgpack_pack_str(&g_pk, s.size()) || msgpack_pack_str_body(&g_pk, s.data(), s.size());
    }
    case dom::element_type::INT64:
        return msgpack_pack_int64(&g_pk, int64_t(e));
    case dom::element_type::UINT64:
        return msgpack_pack_uint64(&g_pk, uint64_t(e));
    case dom::element_type::DOUBLE:
        return msgpack_pack_double(&g_pk, double(e));
    case dom::element_type::BOOL:
        return bool(e) ? msgpack_pack_true(&g_pk) : msgpack_pack_false(&g_pk);
    case dom::element_type::NULL_VALUE:
        return msgpack_pack_nil(&g_pk);
    }
    return -1;
}

/* ---------------- probes (robustness) ---------------- */

void put_bytes(std::string &o, std::string_view s)
{
    char tmp[8];
    o += '"';
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            o += (char)c;
        } else {
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
            o += tmp;
        }
    }
    o += '"';
}

void od_describe(ondemand::value v, std::string &o)
{
    ondemand::json_type t;
    if (v.type().get(t)) {
        o += "<type error>";
        return;
    }
    char tmp[64];
    switch (t) {
    case ondemand::json_type::string: {
        std::string_view s;
        auto err = v.get_string().get(s);
        if (err) {
            o += std::string("string error: ") + error_message(err);
        } else {
            snprintf(tmp, sizeof tmp, "string(len %zu) ", s.size());
            o += tmp;
            put_bytes(o, s);
        }
        break;
    }
    case ondemand::json_type::number: {
        ondemand::number_type nt;
        auto err = v.get_number_type().get(nt);
        if (err) {
            o += std::string("number error: ") + error_message(err);
            break;
        }
        if (nt == ondemand::number_type::signed_integer) {
            int64_t i = 0;
            err = v.get_int64().get(i);
            snprintf(tmp, sizeof tmp, "int64 %lld", (long long)i);
        } else if (nt == ondemand::number_type::unsigned_integer) {
            uint64_t u = 0;
            err = v.get_uint64().get(u);
            snprintf(tmp, sizeof tmp, "uint64 %llu", (unsigned long long)u);
        } else {
            double d = 0;
            err = v.get_double().get(d);
            snprintf(tmp, sizeof tmp, "double %.17g", d);
        }
        o += err ? std::string("number error: ") + error_message(err) : std::string(tmp);
        break;
    }
    case ondemand::json_type::boolean:
        o += "bool";
        break;
    case ondemand::json_type::null:
        o += "null";
        break;
    default:
        o += "container";
        break;
    }
}

void describe_error(error_code err, const char *base, ondemand::document *doc, std::string &o)
{
    o = std::string("error: ") + error_message(err);
    if (doc) {
        const char *loc = nullptr;
        if (!doc->current_location().get(loc) && loc) {
            char tmp[64];
            snprintf(tmp, sizeof tmp, " [current_location() = offset %zu]", (size_t)(loc - base));
            o += tmp;
        }
    }
}

} // namespace

extern "C" {

/*
 * The ondemand kernel is the compile-time SIMDJSON_BUILTIN_IMPLEMENTATION of
 * this translation unit; builtin_implementation() would name the shared
 * library's own (baseline) build instead.
 */
const char *SJ(describe)(void)
{
    static std::string s;
    s = std::string("simdjson ") + SJ_STR(SIMDJSON_VERSION) + " (ondemand kernel: " +
        SJ_STR(SIMDJSON_BUILTIN_IMPLEMENTATION) + ", DOM kernel: " +
        get_active_implementation()->name() + ")";
    return s.c_str();
}

const char *SJ(ondemand_kernel)(void)
{
    return SJ_STR(SIMDJSON_BUILTIN_IMPLEMENTATION);
}

int SJ(init)(size_t max_len)
{
    pad_copy("", 0);
    if (g_dom.allocate(max_len + 1024))
        return -1;
    if (g_od.allocate(max_len + 1024))
        return -1;
    return 0;
}

/* 0 and *out set on success, else a simdjson error_code */
int SJ(od_event)(const char *buf, size_t len, uint64_t *out)
{
    ondemand::document doc;
    return (int)od_event(buf, len, out, doc);
}

int SJ(dom_event)(const char *buf, size_t len, uint64_t *out)
{
    return (int)dom_event(buf, len, out);
}

const char *SJ(strerror)(int err)
{
    return error_message((error_code)err);
}

/* DOM parse, then pack into a reused buffer; *out valid until the next call */
int SJ(dom_to_msgpack)(const char *buf, size_t len, const char **out, size_t *out_len)
{
    if (!g_pk_ready) {
        msgpack_sbuffer_init(&g_sb);
        msgpack_packer_init(&g_pk, &g_sb, msgpack_sbuffer_write);
        g_pk_ready = true;
    }
    const char *p = pad_copy(buf, len);
    dom::element root;
    auto err = g_dom.parse(p, len, false).get(root);
    if (err)
        return (int)err;
    msgpack_sbuffer_clear(&g_sb);
    if (pack(root))
        return (int)MEMALLOC;
    *out = g_sb.data;
    *out_len = g_sb.size;
    return 0;
}

/* Parse a small document and describe what the application sees of key "a". */
const char *SJ(probe_od)(const char *buf, size_t len)
{
    ondemand::parser p;
    const char *pad = pad_copy(buf, len);
    ondemand::document doc;
    auto err = p.iterate(pad, len, len + SIMDJSON_PADDING).get(doc);
    if (err) {
        describe_error(err, pad, nullptr, g_desc);
        return g_desc.c_str();
    }
    ondemand::object obj;
    if ((err = doc.get_object().get(obj))) {
        describe_error(err, pad, &doc, g_desc);
        return g_desc.c_str();
    }
    std::string o = "ok: ";
    int members = 0;
    for (auto fr : obj) {
        ondemand::field f;
        std::string_view k;
        if ((err = std::move(fr).get(f)) || (err = f.unescaped_key().get(k))) {
            describe_error(err, pad, &doc, g_desc);
            return g_desc.c_str();
        }
        members++;
        if (k == "a") {
            o += "a=";
            od_describe(f.value(), o);
            o += "; ";
        } else {
            bench_acc a = {0, 0, 0};
            if ((err = od_walk(f.value(), a))) {
                describe_error(err, pad, &doc, g_desc);
                return g_desc.c_str();
            }
        }
    }
    o += "members seen by iteration=" + std::to_string(members);
    if (!od_at_end(doc))
        o += "; NOTE: tokens left after the root value (library did not complain)";
    g_desc = o;
    return g_desc.c_str();
}

const char *SJ(probe_dom)(const char *buf, size_t len)
{
    dom::parser p;
    const char *pad = pad_copy(buf, len);
    dom::element root;
    auto err = p.parse(pad, len, false).get(root);
    if (err) {
        g_desc = std::string("error: ") + error_message(err) + " (no offset available)";
        return g_desc.c_str();
    }
    std::string o = "ok: ";
    if (root.type() == dom::element_type::OBJECT) {
        dom::object obj = root;
        dom::element a;
        if (!obj.at_key("a").get(a)) {
            char tmp[64];
            o += "a(at_key)=";
            switch (a.type()) {
            case dom::element_type::STRING: {
                std::string_view s = std::string_view(a);
                snprintf(tmp, sizeof tmp, "string(len %zu) ", s.size());
                o += tmp;
                put_bytes(o, s);
                break;
            }
            case dom::element_type::INT64:
                snprintf(tmp, sizeof tmp, "int64 %lld", (long long)int64_t(a));
                o += tmp;
                break;
            case dom::element_type::UINT64:
                snprintf(tmp, sizeof tmp, "uint64 %llu", (unsigned long long)uint64_t(a));
                o += tmp;
                break;
            case dom::element_type::DOUBLE:
                snprintf(tmp, sizeof tmp, "double %.17g", double(a));
                o += tmp;
                break;
            default:
                o += "other";
                break;
            }
            o += "; ";
        }
        o += "members=" + std::to_string(obj.size());
    } else {
        o += "non-object root";
    }
    g_desc = o;
    return g_desc.c_str();
}

/*
 * Nesting test on nested arrays; NULL = accepted, else the error message.
 * Descends iteratively (first element of each array) so that only the
 * library's own limits are measured, not the stack of a recursive walker.
 */
const char *SJ(depth_od)(const char *buf, size_t len)
{
    ondemand::parser p;
    const char *pad = pad_copy(buf, len);
    ondemand::document doc;
    auto err = p.iterate(pad, len, len + SIMDJSON_PADDING).get(doc);
    if (!err) {
        ondemand::array arr;
        err = doc.get_array().get(arr);
        while (!err) {
            auto it = arr.begin();
            if (it.error()) {
                err = it.error();
                break;
            }
            if (it == arr.end())
                break;
            ondemand::value v;
            if ((err = (*it).get(v)))
                break;
            err = v.get_array().get(arr);
        }
    }
    if (!err)
        return nullptr;
    g_desc = error_message(err);
    return g_desc.c_str();
}

const char *SJ(depth_dom)(const char *buf, size_t len)
{
    dom::parser p;
    const char *pad = pad_copy(buf, len);
    dom::element root;
    auto err = p.parse(pad, len, false).get(root);
    if (!err)
        return nullptr;
    g_desc = error_message(err);
    return g_desc.c_str();
}

} /* extern "C" */
