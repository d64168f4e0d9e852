/* Growable byte buffer: doubling growth, explicit NOMEM instead of abort. */
#include "grantline/buf.h"

#include "grantline/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gl_buf_reserve(struct gl_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return GL_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2)
            return GL_ERR_NOMEM;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return GL_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return GL_OK;
}

int gl_buf_append_slow(struct gl_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return GL_OK;
    int rc = gl_buf_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return GL_OK;
}

int gl_buf_printf(struct gl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return GL_ERR_INVALID;
    int rc = gl_buf_reserve(b, (size_t)n + 1);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return GL_OK;
}

void gl_buf_reset(struct gl_buf *b)
{
    b->len = 0;
}

void gl_buf_free(struct gl_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
