/* libFuzzer target: one input message through what the collector does with
 * it — decode (JSON or msgpack; records of other formats through the shipped
 * source mappings, each event of a record that is several), validate, redact
 * and encode, or the quarantine's redacted copy of a refused one — then
 * decode the stored form and print it as JSON. Attacker-influenced bytes must never
 * crash, hang or leak, and every accepted event must round-trip.
 * Build and run: bash fuzz/run.sh [SECONDS] */
#include "grantline/event.h"
#include "grantline/mapping.h"
#include "grantline/redact.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gl_decoder *dec, *dec2;
static struct gl_redactor *rd;
static struct gl_mappings *maps; /* the shipped ones: records of other formats too */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    dec = gl_decoder_new();
    dec2 = gl_decoder_new();
    struct gl_error err;
    static const unsigned char key[32] = {1, 2, 3};
    const char *rules = getenv("GL_FUZZ_RULES");
    if (gl_redactor_load(rules ? rules : GL_RULES, key, sizeof key, &rd, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    if (gl_mappings_load(GL_SOURCE_SCHEMAS "/mappings", &maps, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    gl_decoder_set_mappings(dec, maps);
    gl_decoder_set_mappings(dec2, maps);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gl_event ev;
    struct gl_error err;
    /* any bytes may sit in a damaged store: the in-place reader must cope */
    (void)gl_decoder_view_stored(dec2, data, size, &ev, &err);
    if (gl_decoder_decode(dec, data, size, &ev, &err) != GL_OK) {
        struct gl_buf red = {0};
        struct gl_redact_hits qh = {0};
        (void)gl_event_redact_raw(dec2, data, size, rd, &red, &qh, &err);
        gl_buf_free(&red);
        gl_redact_hits_free(&qh);
        return 0;
    }
    struct gl_buf rec = {0}, json = {0};
    struct gl_redact_hits hits = {0};
    if (gl_event_encode(&ev, rd, &rec, &hits, &err) == GL_OK) {
        struct gl_event back;
        /* what we stored must always read back */
        if (gl_decoder_decode_stored(dec2, rec.data, rec.len, &back, &err) != GL_OK) {
            fprintf(stderr, "stored record does not decode: %s\n", err.msg);
            abort();
        }
        if (back.ts != ev.ts || back.type != ev.type || back.id.len != ev.id.len ||
            memcmp(back.id.ptr, ev.id.ptr, ev.id.len) != 0)
            abort();
        if (gl_event_stored_to_json(rec.data, rec.len, &json, &err) != GL_OK)
            abort();
        struct gl_event view;
        if (gl_decoder_view_stored(dec2, rec.data, rec.len, &view, &err) != GL_OK ||
            view.ts != ev.ts || view.type != ev.type || view.n_perms != ev.n_perms ||
            view.n_scope != ev.n_scope || view.workload.len != back.workload.len)
            abort();
    }
    for (size_t i = 0; i < gl_decoder_more(dec); i++) {
        struct gl_event o;
        if (gl_decoder_decode_more(dec, i, &o, &err) != GL_OK)
            abort(); /* validated with the first */
        struct gl_buf r2 = {0};
        struct gl_redact_hits h2 = {0};
        if (gl_event_encode(&o, rd, &r2, &h2, &err) == GL_OK) {
            struct gl_event b2;
            if (gl_decoder_decode_stored(dec2, r2.data, r2.len, &b2, &err) != GL_OK)
                abort();
        }
        gl_buf_free(&r2);
        gl_redact_hits_free(&h2);
    }
    gl_buf_free(&rec);
    gl_buf_free(&json);
    gl_redact_hits_free(&hits);
    return 0;
}
