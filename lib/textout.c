/* JSON string and HTML escaping for the analyzer's outputs. */
#include "grantline/textout.h"

#include <string.h>

void gl_json_write_str(FILE *f, const char *s, size_t n)
{
    if (!s)
        s = "";
    if (n == GL_NUL_TERMINATED)
        n = strlen(s);
    putc('"', f);
    /* runs of plain bytes go out in one write: findings output is mostly
     * strings, and a call per byte was a tenth of 'findings' */
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f)
            continue;
        fwrite(s + run, 1, i - run, f);
        run = i + 1;
        if (ch == '"' || ch == '\\') {
            putc('\\', f);
            putc(ch, f);
        } else if (ch == '\n') {
            fputs("\\n", f);
        } else if (ch == '\t') {
            fputs("\\t", f);
        } else {
            fprintf(f, "\\u%04x", ch);
        }
    }
    fwrite(s + run, 1, n - run, f);
    putc('"', f);
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
