/* JSON string and HTML escaping for the analyzer's outputs. */
#include "grantline/textout.h"

#include "grantline/error.h"

#include <string.h>

int gl_json_append_str(struct gl_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!s)
        s = "";
    if (n == GL_NUL_TERMINATED)
        n = strlen(s);
    /* runs of plain bytes in one append: findings output is mostly strings */
    int rc = gl_buf_append(out, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f)
            continue;
        char esc[6] = {'\\', (char)ch, '0', '0', hex[ch >> 4], hex[ch & 15]};
        size_t en = 2;
        if (ch == '\n')
            esc[1] = 'n';
        else if (ch == '\t')
            esc[1] = 't';
        else if (ch != '"' && ch != '\\')
            esc[1] = 'u', en = 6;
        rc = gl_buf_append(out, s + run, i - run);
        if (!rc)
            rc = gl_buf_append(out, esc, en);
        run = i + 1;
    }
    if (!rc)
        rc = gl_buf_append(out, s + run, n - run);
    return rc ? rc : gl_buf_append(out, "\"", 1);
}

void gl_json_write_str(FILE *f, const char *s, size_t n)
{
    struct gl_buf b = {0};
    if (gl_json_append_str(&b, s, n) == GL_OK)
        fwrite(b.data, 1, b.len, f);
    else
        fputs("\"\"", f); /* out of memory: an empty string, still valid JSON */
    gl_buf_free(&b);
}

void gl_html_write(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

/* the length of the control character at s (C0, DEL, or C1 as UTF-8), or 0 */
static size_t control_len(const unsigned char *s)
{
    if (*s < 0x20 || *s == 0x7f)
        return 1;
    if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
        return 2;
    return 0;
}

const char *gl_text_safe(const char *s, char *buf, size_t n)
{
    if (!s)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && !control_len(p))
        p++;
    if (!*p || n == 0)
        return *p ? "" : s;
    size_t at = 0;
    for (p = (const unsigned char *)s; *p && at + 1 < n;) {
        size_t cl = control_len(p);
        if (!cl) {
            buf[at++] = (char)*p++;
            continue;
        }
        if (at + 4 >= n)
            break;
        unsigned v = cl == 1 ? *p : p[1];
        snprintf(buf + at, n - at, "\\x%02x", v);
        at += 4;
        p += cl;
    }
    buf[at] = '\0';
    return buf;
}
