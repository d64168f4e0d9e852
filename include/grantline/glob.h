/* Glob patterns of DESIGN.md §3: '*' any run of characters ('/' and ':'
 * too), '?' exactly one UTF-8 character, everything else itself; case
 * sensitive. Used by the analyzer's grants and scopes and by source
 * mappings' conditions. */
#ifndef GRANTLINE_GLOB_H
#define GRANTLINE_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the NUL-terminated 'pattern' matches all of text[0..len). */
bool gl_glob_match(const char *pattern, const char *text, size_t len);

#endif
