// The project's JSON parser: simdjson's DOM parser (libsimdjson-dev) behind
// the C interface of json_parse.h, for events and JSON trees. docs/JSON.md
// says why simdjson.
#include "json_parse.h"

#include <simdjson.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Initial capacity; the parser grows for larger messages and keeps that.
constexpr size_t initial_capacity = 4096;

}  // namespace

struct gl_json {
    simdjson::dom::parser parser;
    // The message with the padding simdjson reads past the end: one copy
    // of a small message beats an allocation per parse.
    char *padded = nullptr;
    size_t padded_cap = 0;
};

namespace {

bool walk(element e, const gl_json_sink *s, void *ctx)
{
    switch (e.type()) {
    case element_type::OBJECT: {
        simdjson::dom::object obj;
        if (e.get_object().get(obj) != simdjson::SUCCESS || !s->start_map(ctx))
            return false;
        for (auto field : obj) {
            if (!s->string(ctx, field.key.data(), field.key.size()) || !walk(field.value, s, ctx))
                return false;
        }
        return s->end(ctx) != 0;
    }
    case element_type::ARRAY: {
        simdjson::dom::array arr;
        if (e.get_array().get(arr) != simdjson::SUCCESS || !s->start_array(ctx))
            return false;
        for (element v : arr) {
            if (!walk(v, s, ctx))
                return false;
        }
        return s->end(ctx) != 0;
    }
    case element_type::STRING: {
        std::string_view v = e.get_string().value_unsafe();
        return s->string(ctx, v.data(), v.size()) != 0;
    }
    case element_type::INT64:
        return s->int64(ctx, e.get_int64().value_unsafe()) != 0;
    case element_type::UINT64:
        return s->uint64(ctx, e.get_uint64().value_unsafe()) != 0;
    case element_type::DOUBLE:
        return s->dbl(ctx, e.get_double().value_unsafe()) != 0;
    case element_type::BOOL:
        return s->boolean(ctx, e.get_bool().value_unsafe()) != 0;
    case element_type::NULL_VALUE:
        return s->null(ctx) != 0;
    }
    return false;
}

}  // namespace

extern "C" gl_json *gl_json_new(unsigned max_depth)
{
    gl_json *j = new (std::nothrow) gl_json;
    if (!j)
        return nullptr;
    if (j->parser.allocate(initial_capacity, max_depth) != simdjson::SUCCESS) {
        delete j;
        return nullptr;
    }
    return j;
}

extern "C" void gl_json_free(gl_json *j)
{
    if (!j)
        return;
    std::free(j->padded);
    delete j;
}

extern "C" gl_json_status gl_json_walk(gl_json *j, const void *buf, size_t len,
                                       const gl_json_sink *sink, void *ctx, const char **why)
{
    *why = nullptr;
    try {
        if (len + simdjson::SIMDJSON_PADDING > j->padded_cap) {
            size_t cap = len + simdjson::SIMDJSON_PADDING;
            char *p = static_cast<char *>(std::realloc(j->padded, cap));
            if (!p)
                return GL_JSON_NOMEM;
            j->padded = p;
            j->padded_cap = cap;
        }
        std::memcpy(j->padded, buf, len);
        std::memset(j->padded + len, 0, simdjson::SIMDJSON_PADDING);
        element root;
        simdjson::error_code ec = j->parser.parse(j->padded, len, false).get(root);
        switch (ec) {
        case simdjson::SUCCESS:
            return walk(root, sink, ctx) ? GL_JSON_OK : GL_JSON_STOPPED;
        case simdjson::EMPTY:
            return GL_JSON_EMPTY;
        case simdjson::UTF8_ERROR:
            return GL_JSON_UTF8;
        case simdjson::DEPTH_ERROR:
            return GL_JSON_DEPTH;
        case simdjson::MEMALLOC:
            return GL_JSON_NOMEM;
        case simdjson::STRING_ERROR:
            // simdjson's own text ("Problem while parsing a string") does
            // not say which of these it was
            *why = "bad string (an invalid escape, a lone UTF-16 surrogate escape or a raw "
                   "control character)";
            return GL_JSON_INVALID;
        default:
            *why = simdjson::error_message(ec);
            return GL_JSON_INVALID;
        }
    } catch (const std::bad_alloc &) {
        return GL_JSON_NOMEM;
    } catch (...) {
        *why = "JSON parser failure";
        return GL_JSON_INVALID;
    }
}
