/* Escaping text for the formats the analyzer writes: JSON strings, HTML
 * (also inline SVG) and aligned text. One implementation, so every output
 * escapes alike. */
#ifndef GL_TEXTOUT_H
#define GL_TEXTOUT_H

#include "grantline/buf.h"

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..n) (n = GL_NUL_TERMINATED: up to the NUL; s may be NULL) as a
 * quoted JSON string: '"' and '\' escaped, \n and \t by name, other control
 * characters and DEL as \u00XX. Bytes >= 0x80 pass through (input is UTF-8). */
#define GL_NUL_TERMINATED ((size_t)-1)
void gl_json_write_str(FILE *f, const char *s, size_t n);
/* The same, appended to 'out' (one implementation of the escaping); returns
 * GL_OK or GL_ERR_NOMEM. */
int gl_json_append_str(struct gl_buf *out, const char *s, size_t n);

/* Writes s as HTML text or attribute content: & < > " ' as entities, control
 * characters as spaces (they would make inline SVG invalid XML). */
void gl_html_write(FILE *f, const char *s);

/* For aligned text meant for a terminal: returns s itself when it holds no
 * control character (C0, DEL, or C1 as UTF-8), else a copy in buf (n bytes,
 * truncated) with each one written as \xNN, so a name from the data can
 * neither send escape sequences to the terminal nor start a line of its
 * own. NULL stays NULL. */
const char *gl_text_safe(const char *s, char *buf, size_t n);

#endif
