/* Growable byte buffer used for encoding and for building keys. The buffer
 * owns 'data'; views into it are invalidated by any append. */
#ifndef GL_BUF_H
#define GL_BUF_H

#include <stddef.h>
#include <string.h>

struct gl_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Returns 0 or GL_ERR_NOMEM. Appending zero bytes never fails. */
int gl_buf_reserve(struct gl_buf *b, size_t extra);
int gl_buf_append_slow(struct gl_buf *b, const void *p, size_t n);

/* Inline: encoders append a few bytes at a time. */
static inline int gl_buf_append(struct gl_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len >= n && n) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
    }
    return gl_buf_append_slow(b, p, n);
}
int gl_buf_printf(struct gl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gl_buf_reset(struct gl_buf *b);
void gl_buf_free(struct gl_buf *b);

#endif
