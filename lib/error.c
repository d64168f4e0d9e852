/* Error value helpers: formatting into the caller's buffer. */
#include "grantline/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int gl_error_set(struct gl_error *err, int code, int cause, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->cause = cause;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

int gl_error_prefix(struct gl_error *err, const char *fmt, ...)
{
    if (!err)
        return GL_OK;
    char prefix[256];
    char old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 3;
    size_t olen = strlen(old);
    if (olen > room)
        olen = room;
    memcpy(err->msg + n + 2, old, olen);
    err->msg[n + 2 + olen] = '\0';
    return err->code;
}

const char *gl_error_name(int code)
{
    switch (code) {
    case GL_OK:
        return "ok";
    case GL_ERR_NOMEM:
        return "out of memory";
    case GL_ERR_INVALID:
        return "invalid";
    case GL_ERR_IO:
        return "io";
    case GL_ERR_STORE:
        return "store";
    case GL_ERR_MAPFULL:
        return "map full";
    case GL_ERR_KAFKA:
        return "kafka";
    case GL_ERR_REGEX:
        return "regex";
    case GL_ERR_CORRUPT:
        return "corrupt";
    case GL_ERR_NOTFOUND:
        return "not found";
    case GL_ERR_DUPLICATE:
        return "duplicate";
    }
    return "unknown";
}
