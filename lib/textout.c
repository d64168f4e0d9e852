/* JSON string and HTML escaping for the analyzer's outputs. */
#include "grantline/textout.h"

#include <string.h>

void gl_puts_unlocked(FILE *f, const char *s)
{
    while (*s)
        putc_unlocked(*s++, f);
}

void gl_json_write_str_unlocked(FILE *f, const char *s, size_t n)
{
    if (!s)
        s = "";
    if (n == GL_NUL_TERMINATED)
        n = strlen(s);
    /* the unlocked byte macro: findings output is mostly strings, and a
     * locked call per byte was a tenth of 'findings' on a large store */
    putc_unlocked('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f) {
            putc_unlocked(ch, f);
        } else if (ch == '"' || ch == '\\') {
            putc_unlocked('\\', f);
            putc_unlocked(ch, f);
        } else if (ch == '\n') {
            putc_unlocked('\\', f);
            putc_unlocked('n', f);
        } else if (ch == '\t') {
            putc_unlocked('\\', f);
            putc_unlocked('t', f);
        } else {
            static const char hex[] = "0123456789abcdef";
            const char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            for (int k = 0; k < 6; k++)
                putc_unlocked(esc[k], f);
        }
    }
    putc_unlocked('"', f);
}

void gl_json_write_str(FILE *f, const char *s, size_t n)
{
    flockfile(f);
    gl_json_write_str_unlocked(f, s, n);
    funlockfile(f);
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
