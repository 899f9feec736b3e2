/* objcache/replay.h - what a direct hit writes besides the object: the
 * dependency file, generated the way clang writes it, and the compile's
 * stderr, limited to what clang prints.
 *
 * Nothing a manifest holds is written out verbatim: the .d file is built
 * from the candidate's dependency list and targets the launcher computed,
 * with clang's escaping (clang/lib/Frontend/DependencyFile.cpp), and
 * stderr passes through a filter that keeps text and clang's colour codes
 * only. A hostile manifest can therefore neither put make syntax such as
 * `$(shell ...)` into a .d file nor terminal control sequences on a
 * user's screen. */
#ifndef OBJCACHE_REPLAY_H
#define OBJCACHE_REPLAY_H

#include "objcache/buffer.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether a dependency or target name can go into a .d file at all: not
 * empty, and no control byte (a newline would end make's rule and start a
 * line of the attacker's choosing). Clang itself would write such a name
 * raw; direct mode does not record those compiles. */
bool oc_depfile_name_ok(const char *name);

/* Appends `target` quoted as clang's driver quotes -MQ values and the
 * default target (QuoteTarget in clang/lib/Driver/ToolChains/Clang.cpp):
 * `$` as `$$`, `#` as `\#`, a space or tab with a backslash (and the
 * backslashes before it doubled). No NUL is appended. */
oc_status oc_depfile_quote_target(const char *target, oc_buffer *out);

/* Appends the Make-format dependency file clang writes for `targets`
 * (already quoted, as clang's cc1 receives them in -MT), then `deps` in
 * the order clang saw them (what its DependencyCollector recorded,
 * unescaped), wrapped at clang's 75 columns; with `phony` (-MP) a phony
 * rule for every dependency but the one at `input_index` (the main file).
 * OC_INVALID when a name fails oc_depfile_name_ok or there is no target. */
oc_status oc_depfile_generate(const char *const *targets, size_t target_count,
                              const char *const *deps, size_t dep_count,
                              size_t input_index, bool phony, oc_buffer *out);

/* Whether stderr bytes are only what clang prints: printable ASCII, tab,
 * newline, well-formed UTF-8 other than C1 controls, and SGR colour
 * sequences (ESC '[' digits and ';' 'm'). */
bool oc_stderr_is_clean(const uint8_t *data, size_t size);

/* Appends data with everything oc_stderr_is_clean refuses replaced by '?',
 * byte by byte (a whole escape sequence other than SGR becomes one '?'
 * per byte), so nothing a terminal would act on gets through. */
oc_status oc_stderr_sanitize(const uint8_t *data, size_t size, oc_buffer *out);

#ifdef __cplusplus
}
#endif
#endif
