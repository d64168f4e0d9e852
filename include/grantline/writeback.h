/* Early writeback: while a long write to a file runs (an LMDB commit writing
 * tens of MB before its fdatasync), a helper thread asks the kernel every
 * few milliseconds to start writing the file's dirty pages to disk, so the
 * fdatasync that ends the write finds most of them written. Durability is
 * unchanged: the fdatasync still waits for every page. */
#ifndef GL_WRITEBACK_H
#define GL_WRITEBACK_H

#include "grantline/error.h"

#include <stdint.h>

struct gl_writeback;

/* Starts the helper thread (idle until gl_writeback_begin). */
int gl_writeback_new(struct gl_writeback **out, struct gl_error *err);

/* Stops the thread and frees 'wb'; NULL is ignored. */
void gl_writeback_free(struct gl_writeback *wb);

/* From now until gl_writeback_end, the dirty pages of 'fd' are sent to
 * disk as they come. 'fd' must stay open until gl_writeback_end returns
 * (no request runs after that). */
void gl_writeback_begin(struct gl_writeback *wb, int fd);
void gl_writeback_end(struct gl_writeback *wb);

/* Requests made to the kernel so far. */
uint64_t gl_writeback_requests(struct gl_writeback *wb);

#endif
