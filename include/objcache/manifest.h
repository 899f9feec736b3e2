/* objcache/manifest.h - direct-mode manifests: what a compile read, and
 * what it produced, under its direct key.
 *
 * A manifest lives under a direct key (a hash of everything the launcher
 * can see before starting the compiler: compiler, arguments, working
 * directory, config files, environment). It lists candidate results, oldest
 * first. Each candidate names every file the front end read (with its size,
 * times and content hash) and every path it looked up and did not find, and
 * says what the compile produced: the IR-level key of the object in the
 * store, the bytes clang wrote to stderr and, for a -MD/-MMD compile, the
 * dependency list clang put into its .d file (each name as clang printed it
 * and the read file it names). A candidate whose files all still match is a
 * direct hit. The .d file itself is not kept: a hit generates it from the
 * list (objcache/replay.h), so no manifest byte reaches it verbatim.
 *
 * Layout, all integers little-endian:
 *   magic "OCMAN\0\0\1" (8) | format version u32 | candidate count u32 |
 *   candidates | BLAKE2b-256 of everything before it (32)
 * candidate:
 *   result key (32) | created unix time u64 | file count u32 | files |
 *   stderr length u32 | stderr bytes | has dependency file u8 (0 or 1) |
 *   main file's index in the dependency list u32 | dependency count u32 |
 *   dependencies | side output count u32 | side outputs
 * dependency:
 *   index of a "read" file of this candidate u32 | name length u32 | name
 *   (as clang printed it, unescaped; no control bytes)
 * side output (a file written beside the object, served from the entry's
 * output of that name):
 *   name length u32 | name (1 to 15 of [a-z0-9._-]) |
 *   path length u32 | path (absolute, no NUL)
 * file:
 *   kind u8 (0 read, 1 absent, 2 location) | path length u32 | path (not
 *   empty, no NUL; a relative one is relative to the compile's directory) |
 *   size u64 | mtime ns i64 | ctime ns i64 | content hash (32)
 *   (for an absent path the four last fields are zero; a location has the
 *   digest of the working directory and verbatim arguments as its hash)
 * The decoder checks every field, every length against the bytes left, and
 * the checksum; anything else is OC_CORRUPT with a message saying what.
 * A manifest of another format version is OC_NOT_FOUND (a miss, replaced by
 * the next compile): version 1 kept the .d file's bytes, version 2 had no
 * side outputs. */
#ifndef OBJCACHE_MANIFEST_H
#define OBJCACHE_MANIFEST_H

#include "objcache/buffer.h"
#include "objcache/hash.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OC_MANIFEST_MAGIC "OCMAN\0\0\1"
#define OC_MANIFEST_MAGIC_SIZE 8
#define OC_MANIFEST_FORMAT_VERSION 3 /* 2 had no side outputs: a miss */
/* A manifest keeps at most this many candidates; adding one more drops the
 * oldest. Different candidates under one direct key come from the same
 * command seeing different header contents, e.g. switching branches. */
#define OC_MANIFEST_MAX_CANDIDATES 16
/* Bounds a reader enforces before trusting a length. */
#define OC_MANIFEST_MAX_SIZE ((size_t)64 << 20)
#define OC_MANIFEST_MAX_FILES 100000
/* At most this many side outputs per candidate (the entry's other outputs
 * beside the object). */
#define OC_MANIFEST_MAX_SIDE_OUTPUTS 7
#define OC_MANIFEST_NAME_SIZE 16
/* Bound on the stderr and the dependency file a candidate keeps. */
#define OC_MANIFEST_MAX_OUTPUT ((size_t)16 << 20)

typedef enum oc_manifest_file_kind {
  OC_MANIFEST_FILE_READ = 0,   /* read by the front end: must be unchanged */
  OC_MANIFEST_FILE_ABSENT = 1, /* looked up and not found: must stay absent */
  /* Not a file: the candidate's object, .d file or stderr names where the
   * compile ran (its working directory, a base_dir, an output path), so it
   * serves only a compile whose location digest (`hash`: the working
   * directory and the verbatim arguments) is the same. `path` is a label;
   * size and times are 0. */
  OC_MANIFEST_FILE_LOCATION = 2,
} oc_manifest_file_kind;

typedef struct oc_manifest_file {
  oc_manifest_file_kind kind;
  char *path; /* NUL-terminated; relative ones are taken from the working
               * directory of the compile (same arguments, same lookups) */
  uint64_t size;
  int64_t mtime_ns, ctime_ns;
  oc_digest hash; /* BLAKE2b-256 of the contents */
} oc_manifest_file;

/* One name of the dependency file, in clang's order. */
typedef struct oc_manifest_dep {
  uint32_t file; /* index into the candidate's files, a READ file */
  char *name;    /* as clang printed it (unescaped), NUL-terminated */
} oc_manifest_dep;

/* A side output of the compile: the entry's output `name` is written at
 * `path` on a direct hit. */
typedef struct oc_manifest_output {
  char name[OC_MANIFEST_NAME_SIZE]; /* NUL-terminated */
  char *path;                       /* absolute, NUL-terminated */
} oc_manifest_output;

typedef struct oc_manifest_candidate {
  oc_digest result_key; /* IR-level key of the object in the store */
  uint64_t created_unix;
  oc_manifest_file *files;
  size_t file_count;
  uint8_t *stderr_data; /* what clang wrote to stderr, byte for byte */
  size_t stderr_size;
  bool has_depfile; /* the compile wrote a -MD/-MMD dependency file */
  uint32_t dep_input_index; /* the main file's place in deps (no -MP rule) */
  oc_manifest_dep *deps;    /* the dependency file's names, in order */
  size_t dep_count;
  oc_manifest_output *outputs; /* side outputs, in the entry's order */
  size_t output_count;
} oc_manifest_candidate;

/* A zero-initialised oc_manifest is empty and valid. */
typedef struct oc_manifest {
  oc_manifest_candidate *candidates; /* oldest first */
  size_t count;
} oc_manifest;

/* Validates and decodes; on OC_CORRUPT *out is left empty. A manifest of
 * the older format 1 is OC_NOT_FOUND (a miss; the next add replaces it). */
oc_status oc_manifest_decode(const void *data, size_t size, oc_manifest *out,
                             oc_error *err);

/* Appends the encoding to out. OC_INVALID for a manifest the decoder would
 * refuse (empty path, too many candidates, oversized output, a
 * dependency naming no read file or holding a control byte). */
oc_status oc_manifest_encode(const oc_manifest *manifest, oc_buffer *out,
                             oc_error *err);

/* Adds a deep copy of candidate as the newest. A candidate with the same
 * result key and the same files (paths, kinds, content hashes) is replaced
 * rather than repeated; then the oldest are dropped until at most
 * max_candidates are left. */
oc_status oc_manifest_add(oc_manifest *manifest,
                          const oc_manifest_candidate *candidate,
                          size_t max_candidates, oc_error *err);

void oc_manifest_free(oc_manifest *manifest);
void oc_manifest_candidate_free(oc_manifest_candidate *candidate);

#ifdef __cplusplus
}
#endif
#endif
