/* objcache/direct.h - direct mode's formats and file rules, shared by the
 * plugin (which writes the record) and the launcher (which reads it, looks
 * candidates up and records them).
 *
 * The direct record: when the launcher runs clang after a direct-mode miss
 * it sets OBJCACHE_DIRECT_RECORD=<path> (a file under <cache_dir>/tmp/,
 * named by oc_direct_record_path). The plugin writes there the IR-level
 * key, the files the compile really writes, every file the front end read
 * and every path it looked up and did not find. Text, one item per line:
 *   objcache-direct-record 2
 *   key <64 hex digits>
 *   output <absolute path>      (FrontendOptions::OutputFile)
 *   depfile <absolute path>     (DependencyOutputOptions::OutputFile, if any)
 *   target <target>             (each .d target, quoted as cc1 got it)
 *   depmain <n>                 (the main file's index among the deps)
 *   dep <name>                  (each name clang puts in the .d, in order)
 *   side <what>                 (another file the compile writes)
 *   sideoutput <name> <absolute path>
 *                               (a side output objcache caches: the entry's
 *                               output <name>, written there on a hit)
 *   store                       (LLVM IR or bitcode output: the launcher
 *                               stores the finished output under the key)
 *   read <path>                 (any number)
 *   absent <path>               (any number)
 *   location <where>            (at most one)
 *   end
 * Paths are as the front end looked them up: relative ones are relative to
 * the working directory. "location" says the module names the working
 * directory, a base dir or an output path, so the candidate must not serve
 * a compile elsewhere. The decoder treats the bytes as untrusted.
 *
 * Candidates: capture hashes and stats the recorded files after the
 * compile (refusing a racing edit: a file whose mtime or ctime is not older
 * than the compile's start); matching checks them again at lookup. Both
 * read a file at most to its size plus one byte: a file that grew, or that
 * is not a regular file, has changed.
 *
 * The compiler-probe cache: <cache_dir>/compilers/<name>, facts about a
 * compiler (and whether it loads the plugin) that cost a process to
 * learn. Its files are read as untrusted: regular files only, validated. */
#ifndef OBJCACHE_DIRECT_H
#define OBJCACHE_DIRECT_H

#include "objcache/buffer.h"
#include "objcache/config.h"
#include "objcache/hash.h"
#include "objcache/manifest.h"
#include "objcache/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OC_DIRECT_RECORD_HEADER "objcache-direct-record 2"
/* A record file larger than this is unreadable. */
#define OC_DIRECT_RECORD_MAX_SIZE ((size_t)64 << 20)

typedef struct oc_direct_record_file {
  const char *path;
  bool absent; /* an "absent" line, else a "read" line */
} oc_direct_record_file;

typedef struct oc_direct_side_output {
  const char *name; /* 1 to OC_MANIFEST_NAME_SIZE - 1 bytes */
  const char *path; /* absolute */
} oc_direct_side_output;

/* A record's fields. For the encoder the caller owns every string; one
 * filled by the decoder owns its strings and arrays until
 * oc_direct_record_free. */
typedef struct oc_direct_record {
  oc_digest key;
  const char *output;  /* required */
  const char *depfile; /* NULL: no depfile/target/depmain/dep lines */
  const char **targets;
  size_t target_count;
  uint32_t depmain;
  const char **deps;
  size_t dep_count;
  const char **sides; /* other outputs, as "side" lines */
  size_t side_count;
  oc_direct_side_output *side_outputs;
  size_t side_output_count;
  bool store;
  oc_direct_record_file *files; /* "read"/"absent" lines, in order */
  size_t file_count;
  const char *location; /* NULL or "" when none */
  void *owned_;         /* the decoder's copy of the text */
} oc_direct_record;

/* Appends the record's text to out. OC_INVALID ("a file name
 * holds a newline") when a string cannot be written in this format. */
oc_status oc_direct_record_encode(const oc_direct_record *rec, oc_buffer *out,
                                  oc_error *err);

/* Decodes size bytes (a NUL byte ends the text). NULL when it is a whole
 * record, else why not (rec is then still to be freed). */
const char *oc_direct_record_decode(const void *data, size_t size,
                                    oc_direct_record *rec);

void oc_direct_record_free(oc_direct_record *rec);

/* Creates path (O_EXCL, mode 0600: a second translation unit of the same
 * process must not pass off its files as the first one's; no symlink is
 * followed, and an existing file is left alone) and writes the encoded
 * record into it; a failed write leaves no file. */
oc_status oc_direct_record_write(const char *path, const oc_direct_record *rec,
                                 oc_error *err);

/* Reads and decodes the record at path. NULL when fine, else why the
 * compile cannot be recorded. */
const char *oc_direct_record_read(const char *path, oc_direct_record *rec);

/* A fresh name <cache_dir>/tmp/direct.<pid>.<random> for a record, creating
 * tmp/ with the configured umask. */
oc_status oc_direct_record_path(const oc_config *cfg, char *out, size_t size,
                                oc_error *err);

/* Removes a record file once read (or when the compile failed). */
void oc_direct_record_remove(const char *path);

/* cwd + path with "", "." and ".." components removed textually (LLVM's
 * make_absolute + remove_dots(.., true)): how the plugin names outputs and
 * history records. cwd NULL: getcwd(3). false when it does not fit. */
bool oc_path_clean(const char *cwd, const char *path, char *out, size_t size);

/* The candidate's key, files (kind READ/ABSENT, unhashed) and side outputs
 * from a decoded record. NULL when fine, else why not. */
const char *oc_direct_candidate_from_record(const oc_direct_record *rec,
                                            oc_manifest_candidate *c);

/* Capture after the compile: hashes and stats each file of c (which started
 * no later than start, by the coarse real-time clock). NULL when fine, else
 * why the candidate cannot be recorded (detail may hold the text). */
const char *oc_direct_capture_files(oc_manifest_candidate *c,
                                    const struct timespec *start, char *detail,
                                    size_t detail_size);

/* Lookup: whether every file of c is as recorded: the same size and times
 * (no read at all, when stat_matches), or else the same contents, and its
 * location digest, if any, is `location`. *why names the first difference;
 * *only_location says that only the location differs. */
bool oc_direct_candidate_matches(const oc_manifest_candidate *c,
                                 const oc_digest *location, bool stat_matches,
                                 char *why, size_t why_size,
                                 bool *only_location);

/* The compiler-probe cache. A probe file's text ends with "end\n" when
 * whole; get copies the text before it into text (NUL-terminated) and is
 * false for a missing or incomplete file. put writes text + "end\n" through
 * a temp file and rename(2), best effort. */
bool oc_probe_cache_get(const oc_config *cfg, const char *name, char *text,
                        size_t size);
void oc_probe_cache_put(const oc_config *cfg, const char *name,
                        const char *text);

/* A probe answer file holds exactly one of a few `answers`. get: the
 * index of the answer the file holds, -1 when there is none (a regular
 * file only, never a FIFO or a symlink; a damaged file is removed).
 * create: makes the file unless it exists (link(2), so of parallel writers
 * exactly one creates it); true when this process created it or could not
 * write it at all. put: writes it, replacing any (rename(2)), best effort. */
int oc_probe_answer_get(const oc_config *cfg, const char *name,
                        const char *const *answers, size_t count);
bool oc_probe_answer_create(const oc_config *cfg, const char *name,
                            const char *answer);
void oc_probe_answer_put(const oc_config *cfg, const char *name,
                         const char *answer);

#ifdef __cplusplus
}
#endif

#endif
