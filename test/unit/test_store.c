/* test_store.c - the local store: put/get, layout, corrupt entries removed
 * and counted, faults that also fail for root, per-shard LRU eviction, temp
 * file cleanup, clear/usage, umask, and parallel writers and readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "objcache/stats.h"
#include "objcache/store.h"

#include "../../lib/support/fsutil.h"

#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define assert_contains(haystack, needle)                                     \
  do {                                                                        \
    if (!strstr((haystack), (needle)))                                        \
      fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));       \
  } while (0)

static oc_config make_config(const char *dir, uint64_t max_size) {
  oc_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", dir);
  cfg.max_size = max_size;
  cfg.compression_level = 1;
  cfg.umask = -1;
  cfg.direct = true;
  return cfg;
}

static oc_store *open_store(uint64_t max_size) {
  oc_config cfg = make_config(cache, max_size);
  oc_store *store = NULL;
  oc_error err;
  if (oc_store_open(&cfg, &store, &err) != OC_OK)
    fail_msg("open: %s", err.message);
  return store;
}

/* A key in a chosen shard (first byte), otherwise from `n`. */
static oc_digest key_in(unsigned shard, uint64_t n) {
  oc_digest d = oc_hash_bytes(&n, sizeof n);
  d.bytes[0] = (uint8_t)shard;
  return d;
}

static void entry_path(const oc_digest *key, char *out, size_t size) {
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(key, hex);
  snprintf(out, size, "%s/objects/%.2s/%s", cache, hex, hex + 2);
}

/* Deterministic content for key number n (incompressible, n-dependent
 * length), so any reader can check what it got. */
static size_t content_for(uint64_t n, uint8_t *out, size_t cap) {
  size_t len = 1000 + (size_t)(n * 977 % 6000);
  if (len > cap)
    len = cap;
  uint64_t x = n * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = (uint8_t)x;
  }
  return len;
}

static uint64_t stat_value(oc_stat which) {
  oc_stats s;
  oc_error err;
  oc_stats_read(cache, &s, &err);
  return s.value[which];
}

/* Independent view of a shard: entries and 4 KiB-rounded bytes; also counts
 * temp files. */
static void scan(unsigned shard, uint64_t *bytes, int *entries, int *temps) {
  char dir[256];
  snprintf(dir, sizeof dir, "%s/objects/%02x", cache, shard);
  *bytes = 0;
  *entries = 0;
  if (temps)
    *temps = 0;
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (temps && strncmp(de->d_name, ".tmp.", 5) == 0)
      (*temps)++;
    if (strlen(de->d_name) != 62)
      continue;
    struct stat st;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    assert_int_equal(lstat(path, &st), 0);
    *bytes += ((uint64_t)st.st_size + 4095) / 4096 * 4096;
    (*entries)++;
  }
  closedir(d);
}

static void set_mtime(const char *path, time_t when) {
  struct timespec t[2] = {{when, 0}, {when, 0}};
  assert_int_equal(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
}

static void put_get_miss(void **unused) {
  (void)unused;
  oc_store *store = open_store((uint64_t)1 << 30);
  oc_error err;
  uint8_t content[7000];
  size_t len = content_for(1, content, sizeof content);
  oc_digest key = key_in(0x3c, 1);
  oc_entry_meta meta = {1700000001, 250};
  assert_int_equal(oc_store_put(store, &key, content, len, &meta, &err), OC_OK);

  char path[512];
  entry_path(&key, path, sizeof path);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(S_ISREG(st.st_mode));
  assert_contains(path, "/objects/3c/");

  oc_buffer got = {0};
  oc_buffer_append(&got, "stale", 5); /* replaced, not appended to */
  oc_entry_meta back = {0, 0};
  assert_int_equal(oc_store_get(store, &key, &got, &back, &err), OC_OK);
  assert_int_equal(got.size, len);
  assert_memory_equal(got.data, content, len);
  assert_int_equal(back.created_unix, 1700000001);
  assert_int_equal(back.compile_time_ms, 250);

  oc_digest other = key_in(0x3c, 2);
  assert_int_equal(oc_store_get(store, &other, &got, NULL, &err),
                   OC_NOT_FOUND);
  oc_digest elsewhere = key_in(0x99, 3); /* shard dir does not even exist */
  assert_int_equal(oc_store_get(store, &elsewhere, &got, NULL, &err),
                   OC_NOT_FOUND);

  /* Overwriting a key replaces the entry. */
  assert_int_equal(oc_store_put(store, &key, "new", 3, NULL, &err), OC_OK);
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_OK);
  assert_int_equal(got.size, 3);
  assert_memory_equal(got.data, "new", 3);
  /* An empty object is a valid object. */
  assert_int_equal(oc_store_put(store, &other, NULL, 0, NULL, &err), OC_OK);
  assert_int_equal(oc_store_get(store, &other, &got, NULL, &err), OC_OK);
  assert_int_equal(got.size, 0);

  uint64_t bytes = 0, entries = 0;
  assert_int_equal(oc_store_usage(store, &bytes, &entries, &err), OC_OK);
  assert_int_equal(entries, 2);
  assert_int_equal(bytes, 2 * 4096);
  int temps;
  uint64_t b;
  int e;
  scan(0x3c, &b, &e, &temps);
  assert_int_equal(temps, 0);
  oc_buffer_free(&got);
  oc_store_close(store);
}

static void hit_refreshes_mtime(void **unused) {
  (void)unused;
  oc_store *store = open_store((uint64_t)1 << 30);
  oc_error err;
  oc_digest key = key_in(0x10, 1);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err), OC_OK);
  char path[512];
  entry_path(&key, path, sizeof path);
  time_t old = time(NULL) - 86400;
  set_mtime(path, old);
  oc_buffer got = {0};
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_OK);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(st.st_mtime >= time(NULL) - 60);
  /* A miss or a read-only store touches nothing. */
  set_mtime(path, old);
  oc_config cfg = make_config(cache, (uint64_t)1 << 30);
  cfg.read_only = true;
  oc_store *ro;
  assert_int_equal(oc_store_open(&cfg, &ro, &err), OC_OK);
  assert_int_equal(oc_store_get(ro, &key, &got, NULL, &err), OC_OK);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mtime, old);
  oc_store_close(ro);
  oc_buffer_free(&got);
  oc_store_close(store);
}

/* Writes `data` over the entry file of key. */
static void plant(const oc_digest *key, const void *data, size_t len) {
  char path[512];
  entry_path(key, path, sizeof path);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
}

static void corrupt_entry_removed_and_counted(void **unused) {
  (void)unused;
  oc_store *store = open_store((uint64_t)1 << 30);
  oc_error err;
  uint8_t content[3000];
  size_t len = content_for(5, content, sizeof content);
  oc_digest key = key_in(0x42, 5);
  char path[512];
  entry_path(&key, path, sizeof path);
  oc_buffer got = {0};
  struct stat st;

  /* 1: garbage bytes. */
  assert_int_equal(oc_store_put(store, &key, content, len, NULL, &err), OC_OK);
  plant(&key, "this is not an entry", 20);
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_CORRUPT);
  assert_contains(err.message, path);
  assert_contains(err.message, "magic");
  assert_int_not_equal(stat(path, &st), 0);
  assert_int_equal(stat_value(OC_STAT_CORRUPT_ENTRIES), 1);
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_NOT_FOUND);

  /* 2: a valid entry truncated, 3: one flipped payload byte. */
  for (int damage = 0; damage < 2; damage++) {
    assert_int_equal(oc_store_put(store, &key, content, len, NULL, &err),
                     OC_OK);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    if (damage == 0) {
      assert_int_equal(ftruncate(fd, st.st_size - 1), 0);
    } else {
      uint8_t byte;
      assert_int_equal(pread(fd, &byte, 1, st.st_size - 100), 1);
      byte ^= 0x20;
      assert_int_equal(pwrite(fd, &byte, 1, st.st_size - 100), 1);
    }
    close(fd);
    assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_CORRUPT);
    assert_int_not_equal(stat(path, &st), 0);
  }
  assert_int_equal(stat_value(OC_STAT_CORRUPT_ENTRIES), 3);

  /* 4: a valid entry of another key, copied under this key's name. */
  oc_digest other = key_in(0x42, 6);
  assert_int_equal(oc_store_put(store, &other, content, len, NULL, &err),
                   OC_OK);
  char other_path[512];
  entry_path(&other, other_path, sizeof other_path);
  assert_int_equal(rename(other_path, path), 0);
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_CORRUPT);
  assert_contains(err.message, "key mismatch");
  assert_int_not_equal(stat(path, &st), 0);

  /* 5: a symlink planted where the entry belongs: not followed, removed,
   * its target left alone. */
  char target[256];
  snprintf(target, sizeof target, "%s/target", root);
  FILE *f = fopen(target, "w");
  fputs("precious", f);
  fclose(f);
  assert_int_equal(symlink(target, path), 0);
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_CORRUPT);
  assert_int_not_equal(lstat(path, &st), 0);
  assert_int_equal(stat(target, &st), 0);
  assert_int_equal(st.st_size, 8);
  assert_int_equal(stat_value(OC_STAT_CORRUPT_ENTRIES), 5);

  /* 6: a directory where the entry belongs: an error, never a crash. */
  assert_int_equal(mkdir(path, 0777), 0);
  assert_int_not_equal(oc_store_get(store, &key, &got, NULL, &err), OC_OK);
  rmdir(path);
  oc_buffer_free(&got);
  oc_store_close(store);
}

/* Several outputs per entry: stored and served together; an entry that
 * lacks a required output is damaged (removed, counted), never served in
 * part; an entry of the older format is a plain miss. */
static void outputs_are_all_or_nothing(void **unused) {
  (void)unused;
  oc_store *store = open_store((uint64_t)1 << 30);
  oc_error err;
  oc_digest key = key_in(0x43, 1);
  oc_entry_output outs[3];
  assert_int_equal(
      oc_entry_output_set(&outs[0], "object", "OBJ", 3, false, &err), OC_OK);
  assert_int_equal(oc_entry_output_set(&outs[1], "dwo", "DWO!", 4, false, &err),
                   OC_OK);
  assert_int_equal(oc_entry_output_set(&outs[2], "su", NULL, 0, true, &err),
                   OC_OK);
  oc_entry_meta meta = {1, 77};
  assert_int_equal(oc_store_put_outputs(store, &key, outs, 3, &meta, &err),
                   OC_OK);
  static const char *const need[] = {"object", "dwo", "su"};
  oc_entry_contents got = {0};
  oc_entry_meta back;
  assert_int_equal(
      oc_store_get_outputs(store, &key, need, 3, &got, &back, &err), OC_OK);
  assert_int_equal(back.compile_time_ms, 77);
  const oc_entry_output *dwo = oc_entry_find(&got, "dwo");
  assert_int_equal(dwo->size, 4);
  assert_memory_equal(dwo->data, "DWO!", 4);
  assert_true(oc_entry_find(&got, "su")->absent);
  /* The single-object call serves the object of the same entry. */
  oc_buffer object = {0};
  assert_int_equal(oc_store_get(store, &key, &object, NULL, &err), OC_OK);
  assert_int_equal(object.size, 3);
  oc_buffer_free(&object);

  static const char *const more[] = {"object", "gcno"};
  assert_int_equal(oc_store_get_outputs(store, &key, more, 2, &got, NULL, &err),
                   OC_CORRUPT);
  assert_contains(err.message, "gcno");
  assert_int_equal(got.count, 0);
  assert_int_equal(stat_value(OC_STAT_CORRUPT_ENTRIES), 1);
  assert_int_equal(oc_store_get_outputs(store, &key, need, 3, &got, NULL, &err),
                   OC_NOT_FOUND);

  /* Format 1: a miss, not counted as damage. */
  assert_int_equal(oc_store_put_outputs(store, &key, outs, 3, NULL, &err),
                   OC_OK);
  char path[512];
  entry_path(&key, path, sizeof path);
  int fd = open(path, O_RDWR);
  uint8_t one = 1;
  assert_int_equal(pwrite(fd, &one, 1, 8), 1);
  close(fd);
  assert_int_equal(oc_store_get_outputs(store, &key, need, 3, &got, NULL, &err),
                   OC_NOT_FOUND);
  assert_int_equal(stat_value(OC_STAT_CORRUPT_ENTRIES), 1);
  oc_entry_contents_free(&got);
  oc_store_close(store);
}

static void faults_that_fail_for_root(void **unused) {
  (void)unused;
  oc_error err;
  oc_store *store = NULL;
  char file[128];
  snprintf(file, sizeof file, "%s/plain", root);
  FILE *f = fopen(file, "w");
  fputs("x", f);
  fclose(f);

  /* Cache dir is a regular file. */
  oc_config cfg = make_config(file, 1 << 20);
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_IO_ERROR);
  assert_null(store);
  assert_contains(err.message, file);
  cfg.read_only = true;
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_IO_ERROR);
  assert_contains(err.message, "not a directory");

  /* Cache dir below a regular file (ENOTDIR). */
  char below[256];
  snprintf(below, sizeof below, "%s/sub/cache", file);
  cfg = make_config(below, 1 << 20);
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_IO_ERROR);
  assert_contains(err.message, file);
  assert_contains(err.message, "is not a directory");

  /* A shard that is a regular file, or a planted symlink: put fails
   * cleanly and writes nothing through the symlink. */
  store = open_store(1 << 30);
  char shard[256];
  snprintf(shard, sizeof shard, "%s/objects/77", cache);
  f = fopen(shard, "w");
  fclose(f);
  oc_digest key = key_in(0x77, 1);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err),
                   OC_IO_ERROR);
  assert_contains(err.message, shard);
  oc_buffer got = {0};
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_IO_ERROR);
  unlink(shard);
  char elsewhere[256];
  snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", root);
  assert_int_equal(mkdir(elsewhere, 0777), 0);
  assert_int_equal(symlink(elsewhere, shard), 0);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err),
                   OC_IO_ERROR);
  assert_contains(err.message, "symlink");
  DIR *d = opendir(elsewhere);
  int names = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    names++;
  closedir(d);
  assert_int_equal(names, 2); /* "." and ".." only */
  oc_store_close(store);
  oc_buffer_free(&got);
}

/* EACCES: a shard directory the compiling user cannot write. Root ignores
 * permission bits, so the check runs in a child that drops to nobody. */
static void unwritable_shard_is_a_clean_error(void **unused) {
  (void)unused;
  assert_int_equal(chmod(root, 0755), 0);
  oc_store *store = open_store(1 << 30);
  oc_error err;
  oc_digest key = key_in(0xab, 1);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err), OC_OK);
  oc_store_close(store);
  char shard[256];
  snprintf(shard, sizeof shard, "%s/objects/ab", cache);
  assert_int_equal(chmod(shard, 0555), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
      _exit(3);
    oc_store *s = open_store(1 << 30);
    oc_digest other = key_in(0xab, 2);
    oc_error e;
    if (oc_store_put(s, &other, "def", 3, NULL, &e) != OC_IO_ERROR)
      _exit(4);
    if (!strstr(e.message, shard) || !strstr(e.message, strerror(EACCES)))
      _exit(5);
    oc_buffer got = {0};
    if (oc_store_get(s, &key, &got, NULL, &e) != OC_OK) /* reads still work */
      _exit(6);
    if (got.size != 3 || memcmp(got.data, "abc", 3) != 0)
      _exit(7);
    oc_buffer_free(&got);
    oc_store_close(s);
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_int_equal(chmod(shard, 0755), 0); /* so that teardown can remove it */
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* A file-size limit makes write(2) fail even for root: the put reports it
 * and leaves no temp file behind. */
static void failed_write_leaves_nothing(void **unused) {
  (void)unused;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    oc_store *store = open_store(1 << 30);
    struct rlimit lim = {1000, 1000};
    setrlimit(RLIMIT_FSIZE, &lim);
    uint8_t content[8000];
    size_t len = content_for(9, content, sizeof content);
    oc_digest key = key_in(0x21, 9);
    oc_error err;
    oc_status s = oc_store_put(store, &key, content, len, NULL, &err);
    if (s != OC_IO_ERROR || !strstr(err.message, "objects/21"))
      _exit(1);
    uint64_t bytes;
    int entries, temps;
    scan(0x21, &bytes, &entries, &temps);
    _exit(entries == 0 && temps == 0 ? 0 : 2);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

static void errno_mapping(void **unused) {
  (void)unused;
  assert_int_equal(oc_fs_errno_status(ENOSPC), OC_NO_SPACE);
  assert_int_equal(oc_fs_errno_status(EDQUOT), OC_NO_SPACE);
  assert_int_equal(oc_fs_errno_status(EACCES), OC_IO_ERROR);
  assert_int_equal(oc_fs_errno_status(EROFS), OC_IO_ERROR);
  assert_int_equal(oc_fs_errno_status(ENOTDIR), OC_IO_ERROR);
  assert_int_equal(oc_fs_errno_status(EIO), OC_IO_ERROR);
}

static void read_only_store_adds_nothing(void **unused) {
  (void)unused;
  oc_config cfg = make_config(cache, 1 << 30);
  cfg.read_only = true;
  oc_store *store;
  oc_error err;
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_OK);
  struct stat st;
  assert_int_not_equal(stat(cache, &st), 0); /* nothing created */
  oc_digest key = key_in(1, 1);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err), OC_OK);
  oc_buffer got = {0};
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_NOT_FOUND);
  assert_int_not_equal(stat(cache, &st), 0);
  oc_store_close(store);
  /* A corrupt entry is reported but not removed by a read-only store. */
  oc_store *rw = open_store(1 << 30);
  assert_int_equal(oc_store_put(rw, &key, "abc", 3, NULL, &err), OC_OK);
  plant(&key, "junk", 4);
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_OK);
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_CORRUPT);
  char path[512];
  entry_path(&key, path, sizeof path);
  assert_int_equal(stat(path, &st), 0);
  oc_store_close(store);
  oc_store_close(rw);
  oc_buffer_free(&got);
}

/* With max_size = 256 * 40 KiB each shard may hold 40 KiB: about five
 * 8 KiB entries. */
#define SHARE ((uint64_t)40 << 10)

static void eviction_on_put_keeps_shard_under_share(void **unused) {
  (void)unused;
  oc_store *store = open_store(SHARE * 256);
  oc_error err;
  uint8_t content[5000];
  /* Fill another shard too: a put in 0xab must not touch it. */
  oc_store *unlimited = open_store(0);
  for (uint64_t i = 0; i < 10; i++) {
    oc_digest key = key_in(0xcd, 1000 + i);
    size_t len = content_for(1000 + i, content, sizeof content);
    assert_int_equal(oc_store_put(unlimited, &key, content, len, NULL, &err),
                     OC_OK);
  }
  uint64_t cd_bytes;
  int cd_entries;
  scan(0xcd, &cd_bytes, &cd_entries, NULL);
  assert_int_equal(cd_entries, 10);
  assert_true(cd_bytes > SHARE);

  for (uint64_t i = 0; i < 30; i++) {
    oc_digest key = key_in(0xab, i);
    size_t len = content_for(i, content, sizeof content);
    assert_int_equal(oc_store_put(store, &key, content, len, NULL, &err),
                     OC_OK);
    uint64_t bytes;
    int entries;
    scan(0xab, &bytes, &entries, NULL);
    if (bytes > SHARE)
      fail_msg("after put %d the shard holds %llu bytes > share %llu",
               (int)i, (unsigned long long)bytes, (unsigned long long)SHARE);
    /* The entry just written is always there. */
    oc_buffer got = {0};
    assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_OK);
    oc_buffer_free(&got);
  }
  uint64_t bytes;
  int entries;
  scan(0xab, &bytes, &entries, NULL);
  assert_true(entries >= 3);
  assert_int_equal(stat_value(OC_STAT_EVICTIONS), (uint64_t)(30 - entries));
  scan(0xcd, &bytes, &entries, NULL);
  assert_int_equal(entries, 10);
  oc_store_close(unlimited);
  oc_store_close(store);
}

static void cleanup_evicts_least_recently_used(void **unused) {
  (void)unused;
  oc_store *unlimited = open_store(0);
  oc_error err;
  uint8_t content[5000];
  time_t base = time(NULL) - 100000;
  for (uint64_t i = 0; i < 12; i++) {
    oc_digest key = key_in(0x5e, i);
    size_t len = content_for(i, content, sizeof content);
    assert_int_equal(oc_store_put(unlimited, &key, content, len, NULL, &err),
                     OC_OK);
    char path[512];
    entry_path(&key, path, sizeof path);
    set_mtime(path, base + (time_t)i * 100); /* key 0 oldest */
  }
  /* A hit makes key 1 the most recently used. */
  oc_digest hot = key_in(0x5e, 1);
  oc_buffer got = {0};
  assert_int_equal(oc_store_get(unlimited, &hot, &got, NULL, &err), OC_OK);
  oc_store_close(unlimited);

  oc_store *store = open_store(SHARE * 256);
  assert_int_equal(oc_store_cleanup(store, &err), OC_OK);
  uint64_t bytes;
  int entries;
  scan(0x5e, &bytes, &entries, NULL);
  assert_true(bytes <= SHARE / 10 * 9);
  assert_true(entries >= 3);
  /* Survivors are exactly the most recently used ones. */
  int kept_from = 12 - (entries - 1); /* key 1 plus the newest others */
  for (uint64_t i = 0; i < 12; i++) {
    oc_digest key = key_in(0x5e, i);
    bool expect = i == 1 || (int)i >= kept_from;
    oc_status s = oc_store_get(store, &key, &got, NULL, &err);
    if (expect != (s == OC_OK))
      fail_msg("key %d: expected %s, got %s", (int)i,
               expect ? "kept" : "evicted", oc_status_name(s));
  }
  assert_int_equal(stat_value(OC_STAT_EVICTIONS), (uint64_t)(12 - entries));
  /* Under its share, a shard is left alone. */
  assert_int_equal(oc_store_cleanup(store, &err), OC_OK);
  int again;
  scan(0x5e, &bytes, &again, NULL);
  assert_int_equal(again, entries);
  oc_buffer_free(&got);
  oc_store_close(store);
}

static void stale_temp_files_removed_young_kept(void **unused) {
  (void)unused;
  oc_store *store = open_store(1 << 30);
  oc_error err;
  oc_digest key = key_in(0x0f, 1);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err), OC_OK);
  char dir[256], old_tmp[512], young_tmp[512], foreign[512];
  snprintf(dir, sizeof dir, "%s/objects/0f", cache);
  snprintf(old_tmp, sizeof old_tmp, "%s/.tmp.123.00000000deadbeef", dir);
  snprintf(young_tmp, sizeof young_tmp, "%s/.tmp.456.00000000feedface", dir);
  snprintf(foreign, sizeof foreign, "%s/README", dir);
  const char *paths[] = {old_tmp, young_tmp, foreign};
  for (int i = 0; i < 3; i++) {
    FILE *f = fopen(paths[i], "w");
    fputs("partial", f);
    fclose(f);
  }
  set_mtime(old_tmp, time(NULL) - 3700);
  set_mtime(young_tmp, time(NULL) - 3500);
  set_mtime(foreign, time(NULL) - 100000);
  assert_int_equal(oc_store_cleanup(store, &err), OC_OK);
  struct stat st;
  assert_int_not_equal(stat(old_tmp, &st), 0);
  assert_int_equal(stat(young_tmp, &st), 0);
  assert_int_equal(stat(foreign, &st), 0);
  oc_buffer got = {0};
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_OK);
  /* usage counts entries only. */
  uint64_t bytes, entries;
  assert_int_equal(oc_store_usage(store, &bytes, &entries, &err), OC_OK);
  assert_int_equal(entries, 1);
  oc_buffer_free(&got);
  oc_store_close(store);
}

static void clear_removes_entries_keeps_stats(void **unused) {
  (void)unused;
  oc_store *store = open_store(1 << 30);
  oc_error err;
  for (uint64_t i = 0; i < 40; i++) {
    oc_digest key = key_in((unsigned)(i * 7), i);
    assert_int_equal(oc_store_put(store, &key, &i, sizeof i, NULL, &err),
                     OC_OK);
  }
  assert_int_equal(oc_stats_bump(cache, OC_STAT_HITS, 5, &err), OC_OK);
  uint64_t bytes, entries;
  assert_int_equal(oc_store_usage(store, &bytes, &entries, &err), OC_OK);
  assert_int_equal(entries, 40);
  assert_int_equal(bytes, 40 * 4096);
  assert_int_equal(oc_store_clear(store, &err), OC_OK);
  assert_int_equal(oc_store_usage(store, &bytes, &entries, &err), OC_OK);
  assert_int_equal(entries, 0);
  assert_int_equal(bytes, 0);
  oc_buffer got = {0};
  oc_digest key = key_in(0, 0);
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_NOT_FOUND);
  assert_int_equal(stat_value(OC_STAT_HITS), 5);
  /* The store keeps working after a clear. */
  assert_int_equal(oc_store_put(store, &key, "x", 1, NULL, &err), OC_OK);
  assert_int_equal(oc_store_get(store, &key, &got, NULL, &err), OC_OK);
  oc_buffer_free(&got);
  oc_store_close(store);
}

static void umask_applies_to_what_the_store_creates(void **unused) {
  (void)unused;
  mode_t saved = umask(0);
  oc_config cfg = make_config(cache, 1 << 30);
  cfg.umask = 027;
  oc_store *store;
  oc_error err;
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_OK);
  oc_digest key = key_in(0x66, 1);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err), OC_OK);
  umask(saved);
  char path[512];
  struct stat st;
  entry_path(&key, path, sizeof path);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  snprintf(path, sizeof path, "%s/objects/66", cache);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0750);
  assert_int_equal(stat(cache, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0750);
  oc_store_close(store);
  /* And a permissive setting beats a strict process umask. */
  saved = umask(077);
  cfg.umask = 002;
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_OK);
  key = key_in(0x67, 1);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err), OC_OK);
  umask(saved);
  entry_path(&key, path, sizeof path);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0664);
  oc_store_close(store);
}

/* Several processes put and get overlapping keys in few shards with a
 * small max_size, so that writes, reads and evictions race. Every hit must
 * be the exact content of its key; afterwards every entry decodes and no
 * temp file is left. */
#define WORKERS 6
#define KEYS 48
#define OPS 160

static int worker(int id) {
  oc_store *store = open_store(SHARE * 256 * 2);
  uint8_t want[8000];
  uint64_t x = (uint64_t)id * 7919 + 17;
  for (int op = 0; op < OPS; op++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t n = x % KEYS;
    oc_digest key = key_in((unsigned)(n % 3) * 0x40, n);
    size_t len = content_for(n, want, sizeof want);
    oc_error err;
    if ((x >> 20) % 2) {
      if (oc_store_put(store, &key, want, len, NULL, &err) != OC_OK)
        return 10;
    } else {
      oc_buffer got = {0};
      oc_status s = oc_store_get(store, &key, &got, NULL, &err);
      if (s == OC_OK && (got.size != len || memcmp(got.data, want, len)))
        return 11;
      if (s != OC_OK && s != OC_NOT_FOUND)
        return 12;
      oc_buffer_free(&got);
    }
  }
  oc_store_close(store);
  return 0;
}

static void concurrent_writers_and_readers(void **unused) {
  (void)unused;
  pid_t pids[WORKERS];
  for (int w = 0; w < WORKERS; w++) {
    pids[w] = fork();
    assert_true(pids[w] >= 0);
    if (pids[w] == 0)
      _exit(worker(w));
  }
  for (int w = 0; w < WORKERS; w++) {
    int status;
    assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
      fail_msg("worker %d exited with %d", w, WEXITSTATUS(status));
  }
  oc_store *store = open_store(SHARE * 256 * 2);
  oc_error err;
  int present = 0;
  uint8_t want[8000];
  for (uint64_t n = 0; n < KEYS; n++) {
    oc_digest key = key_in((unsigned)(n % 3) * 0x40, n);
    oc_buffer got = {0};
    oc_status s = oc_store_get(store, &key, &got, NULL, &err);
    if (s == OC_OK) {
      size_t len = content_for(n, want, sizeof want);
      assert_int_equal(got.size, len);
      assert_memory_equal(got.data, want, len);
      present++;
    } else {
      assert_int_equal(s, OC_NOT_FOUND);
    }
    oc_buffer_free(&got);
  }
  assert_true(present > 0);
  assert_int_equal(stat_value(OC_STAT_CORRUPT_ENTRIES), 0);
  for (unsigned shard = 0; shard < 0xc1; shard += 0x40) {
    uint64_t bytes;
    int entries, temps;
    scan(shard, &bytes, &entries, &temps);
    assert_int_equal(temps, 0);
    /* Approximate under races, but never far over the share. */
    assert_true(bytes <= 2 * SHARE + 8 * 8192);
  }
  uint64_t bytes, entries;
  assert_int_equal(oc_store_usage(store, &bytes, &entries, &err), OC_OK);
  assert_int_equal(entries, (uint64_t)present);
  oc_store_close(store);
}

/* issue 18: shard directories made in a setgid cache directory keep the
 * setgid bit (with a configured umask too), so the whole team's files get
 * the team's group; a plain chmod used to clear it. */
static void setgid_survives_directory_creation(void **unused) {
  (void)unused;
  assert_int_equal(mkdir(cache, 0775), 0);
  assert_int_equal(chmod(cache, 02775), 0);
  oc_config cfg = make_config(cache, 0);
  cfg.umask = 002;
  oc_store *store = NULL;
  oc_error err;
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_OK);
  oc_digest key = key_in(0x42, 1);
  assert_int_equal(oc_store_put(store, &key, "abc", 3, NULL, &err), OC_OK);
  oc_store_close(store);
  char path[PATH_MAX];
  struct stat st;
  snprintf(path, sizeof path, "%s/objects", cache);
  assert_int_equal(stat(path, &st), 0);
  assert_true(st.st_mode & S_ISGID);
  assert_int_equal(st.st_mode & 0777, 0775);
  snprintf(path, sizeof path, "%s/objects/42", cache);
  assert_int_equal(stat(path, &st), 0);
  assert_true(st.st_mode & S_ISGID);
}

/* issue 18: a process holding a shard's .size lock or manifest lock
 * (stopped in a debugger) costs a put at most the lock deadline: the
 * object is stored, the accounting skipped with one warning. */
static void held_locks_have_a_deadline(void **unused) {
  (void)unused;
  oc_store *store = open_store(1 << 30);
  oc_digest key = key_in(7, 1);
  oc_error err;
  assert_int_equal(oc_store_put(store, &key, "first", 5, NULL, &err), OC_OK);
  oc_store_close(store);
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/objects/07/.size", cache);
  pid_t holder = fork();
  if (holder == 0) {
    int fd = open(path, O_RDWR);
    flock(fd, LOCK_EX);
    snprintf(path, sizeof path, "%s/objects/07/.manifest-lock", cache);
    int mfd = open(path, O_RDWR | O_CREAT, 0666);
    flock(mfd, LOCK_EX);
    pause();
    _exit(0);
  }
  usleep(200000); /* let it take the locks */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  store = open_store(1 << 30);
  oc_digest other = key_in(7, 2);
  assert_int_equal(oc_store_put(store, &other, "second", 6, NULL, &err), OC_OK);
  assert_non_null(oc_store_warning(store));
  assert_contains(oc_store_warning(store), "size accounting skipped");
  oc_buffer object = {0};
  assert_int_equal(oc_store_get(store, &other, &object, NULL, &err), OC_OK);
  assert_int_equal(object.size, 6);
  oc_manifest_candidate c = {0};
  c.result_key = other;
  assert_int_equal(oc_store_add_candidate(store, &other, &c, &err),
                   OC_IO_ERROR);
  assert_contains(err.message, "manifest update is skipped");
  oc_store_close(store);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double took = (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_true(took < 6.0); /* two 2 s deadlines, not forever */
  kill(holder, SIGKILL);
  waitpid(holder, NULL, 0);
  oc_buffer_free(&object);
}

/* issue 18: a FIFO where an entry belongs is refused without blocking. */
static void fifo_entry_does_not_hang(void **unused) {
  (void)unused;
  oc_store *store = open_store(0);
  oc_digest key = key_in(9, 1);
  oc_error err;
  assert_int_equal(oc_store_put(store, &key, "x", 1, NULL, &err), OC_OK);
  char path[PATH_MAX];
  entry_path(&key, path, sizeof path);
  unlink(path);
  assert_int_equal(mkfifo(path, 0644), 0);
  oc_buffer object = {0};
  assert_int_equal(oc_store_get(store, &key, &object, NULL, &err), OC_CORRUPT);
  oc_store_close(store);
  oc_buffer_free(&object);
}

/* issue 18: a killed launcher leaves tmp/direct.* behind; cleanup removes
 * the old ones and keeps those a running compile may still use. */
static void cleanup_removes_old_direct_records(void **unused) {
  (void)unused;
  oc_store *store = open_store(0);
  char dir[PATH_MAX], old_rec[PATH_MAX + 32], young[PATH_MAX + 32];
  snprintf(dir, sizeof dir, "%s/tmp", cache);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(old_rec, sizeof old_rec, "%s/direct.1.00000000000000aa", dir);
  snprintf(young, sizeof young, "%s/direct.2.00000000000000bb", dir);
  close(open(old_rec, O_WRONLY | O_CREAT, 0600));
  close(open(young, O_WRONLY | O_CREAT, 0600));
  struct timespec times[2] = {{time(NULL) - 2 * 3600, 0},
                              {time(NULL) - 2 * 3600, 0}};
  assert_int_equal(utimensat(AT_FDCWD, old_rec, times, 0), 0);
  oc_error err;
  assert_int_equal(oc_store_cleanup(store, &err), OC_OK);
  struct stat st;
  assert_int_not_equal(stat(old_rec, &st), 0);
  assert_int_equal(stat(young, &st), 0);
  oc_store_close(store);
}

/* The writer record beside an entry: round trip, counted in bytes but not
 * as an entry, removed by clear, and damaged bytes are OC_CORRUPT. */
static void writer_record_round_trip_and_hostile_bytes(void **unused) {
  (void)unused;
  oc_store *store = open_store(0);
  oc_error err;
  oc_digest key = key_in(7, 1);
  oc_buffer got = {0};
  assert_int_equal(oc_store_get_record(store, &key, &got, &err), OC_NOT_FOUND);
  static const char record[] = "module\tbitcode\tabc\ninvocation\targ\t-O2\n";
  assert_int_equal(oc_store_put(store, &key, "obj", 3, NULL, &err), OC_OK);
  assert_int_equal(
      oc_store_put_record(store, &key, record, sizeof record - 1, &err), OC_OK);
  assert_int_equal(oc_store_get_record(store, &key, &got, &err), OC_OK);
  assert_int_equal(got.size, sizeof record - 1);
  assert_memory_equal(got.data, record, sizeof record - 1);
  uint64_t bytes, entries;
  assert_int_equal(oc_store_usage(store, &bytes, &entries, &err), OC_OK);
  assert_int_equal(entries, 1);
  assert_int_equal(bytes, 8192); /* the entry and the record, 4 KiB each */

  char path[256];
  entry_path(&key, path, sizeof path - 4);
  strcat(path, ".f");
  FILE *f = fopen(path, "wb");
  fputs("not zstd at all", f);
  fclose(f);
  assert_int_equal(oc_store_get_record(store, &key, &got, &err), OC_CORRUPT);

  assert_int_equal(oc_store_clear(store, &err), OC_OK);
  assert_int_equal(oc_store_get_record(store, &key, &got, &err), OC_NOT_FOUND);
  oc_buffer_free(&got);
  oc_store_close(store);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name)                                                                \
  cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
      T(put_get_miss),
      T(hit_refreshes_mtime),
      T(corrupt_entry_removed_and_counted),
      T(outputs_are_all_or_nothing),
      T(faults_that_fail_for_root),
      T(unwritable_shard_is_a_clean_error),
      T(failed_write_leaves_nothing),
      cmocka_unit_test(errno_mapping),
      T(read_only_store_adds_nothing),
      T(eviction_on_put_keeps_shard_under_share),
      T(cleanup_evicts_least_recently_used),
      T(stale_temp_files_removed_young_kept),
      T(clear_removes_entries_keeps_stats),
      T(umask_applies_to_what_the_store_creates),
      T(concurrent_writers_and_readers),
      T(setgid_survives_directory_creation),
      T(held_locks_have_a_deadline),
      T(fifo_entry_does_not_hang),
      T(cleanup_removes_old_direct_records),
      T(writer_record_round_trip_and_hostile_bytes),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
