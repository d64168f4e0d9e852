/*
 * jsonc_part.h - json-c entry points of the benchmark (see jsonc_part.c for
 * why json-c lives in its own translation unit).
 */
#ifndef GL_BENCH_JSONC_PART_H
#define GL_BENCH_JSONC_PART_H

#include <stddef.h>
#include <stdint.h>

const char *jc_version(void);
/* two reused tokeners: 0 = default flags, 1 = JSON_TOKENER_VALIDATE_UTF8 */
int jc_init(void);
int jc_event(int which, const char *buf, size_t len, uint64_t *out, char *err, size_t errlen);
/* strict = JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 */
void jc_probe(const char *buf, size_t len, int strict, char *out, size_t cap);
/* NULL if accepted, else the error text */
const char *jc_depth(const char *buf, size_t len);

#endif
