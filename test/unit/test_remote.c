/* test_remote.c - the two-tier store against a real redis-server on a unix
 * socket in a temp dir (started and killed by each test; the tests are
 * skipped when redis-server is not installed): a put on one machine is a
 * validated remote hit on another and is backfilled; corrupt and foreign
 * values are misses, counted and never served; read_only writes nothing,
 * remote_read_only nothing to the remote; remote_only keeps no local copy;
 * a dead or hung server is one counted fault and one warning, after which
 * the others skip it until the down period is over; TCP and a database
 * number work. The server listens on its socket and on a loopback port the
 * kernel chose. Direct-mode manifests travel the same way: shared,
 * validated, backfilled, merged on upload, refused when invalid, never
 * uploaded by read_only. Runs under ASan/UBSan with the rest of the unit
 * tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first. */
#include <cmocka.h>

#include "objcache/entry.h"
#include "objcache/stats.h"
#include "objcache/store.h"

#include "../../lib/remote/remote.h"
#include "../../lib/remote/remote_redis.h"

#include "fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char socket_path[128];
static int tcp_port; /* the server also listens on 127.0.0.1:tcp_port */
static pid_t server = -1;

#define assert_contains(haystack, needle)                                      \
  do {                                                                         \
    if (!(haystack) || !strstr((haystack), (needle)))                          \
      fail_msg("\"%s\" does not contain \"%s\"",                               \
               (haystack) ? (haystack) : "(null)", (needle));                  \
  } while (0)

static bool have_redis(void) {
  return system("command -v redis-server >/dev/null 2>&1") == 0;
}

static void stop_server(void) {
  if (server > 0) {
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    server = -1;
  }
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
      getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0)
    close(fd);
  return port;
}

/* Whether the server accepts connections on its socket. The socket file
 * appears at bind(), before listen(): a connect in between is refused. */
static bool accepting(void) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

static int setup(void **state) {
  if (fixture_setup(state) != 0)
    return -1;
  snprintf(socket_path, sizeof socket_path, "%s/redis.sock", root);
  if (!have_redis())
    return 0;
  char log[128];
  snprintf(log, sizeof log, "%s/redis.log", root);
  /* The kernel picks a free loopback port; should another process take it
   * before redis-server binds it, the server exits and we try again. */
  for (int attempt = 0; attempt < 3; attempt++) {
    tcp_port = free_port();
    char port[16];
    snprintf(port, sizeof port, "%d", tcp_port);
    server = fork();
    if (server == 0) {
      execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port",
             port, "--unixsocket", socket_path, "--save", "", "--appendonly",
             "no", "--dir", root, "--logfile", log, (char *)NULL);
      _exit(127);
    }
    for (int i = 0; i < 500; i++) { /* up to 5 s */
      if (accepting())
        return 0;
      if (waitpid(server, NULL, WNOHANG) == server)
        break;
      usleep(10000);
    }
    stop_server();
  }
  return -1;
}

static int teardown(void **state) {
  stop_server();
  return fixture_teardown(state);
}

static oc_config machine(const char *name) {
  oc_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s/%s", root, name);
  cfg.compression_level = 1;
  cfg.umask = -1;
  snprintf(cfg.remote, sizeof cfg.remote, "redis+unix://%s", socket_path);
  cfg.remote_connect_timeout_ms = 100;
  cfg.remote_timeout_ms = 300;
  return cfg;
}

static oc_store *open_store(const oc_config *cfg) {
  oc_store *store = NULL;
  oc_error err;
  if (oc_store_open(cfg, &store, &err) != OC_OK)
    fail_msg("open: %s", err.message);
  return store;
}

static oc_stats stats_of(const oc_config *cfg) {
  oc_stats s;
  assert_int_equal(oc_stats_read(cfg->cache_dir, &s, NULL), OC_OK);
  return s;
}

static oc_digest key_of(int n) { return oc_hash_bytes(&n, sizeof n); }

static void put_object(const oc_config *cfg, int n, const char *text) {
  oc_store *store = open_store(cfg);
  oc_digest key = key_of(n);
  oc_entry_meta meta = {1, 42};
  oc_error err;
  assert_int_equal(oc_store_put(store, &key, text, strlen(text), &meta, &err),
                   OC_OK);
  assert_null(oc_store_warning(store));
  oc_store_close(store);
}

/* get through a fresh store, as the plugin does; returns the status and
 * copies any warning into `warning`. */
static oc_status get_object(const oc_config *cfg, int n, oc_buffer *object,
                            char *warning, size_t warning_size) {
  oc_store *store = open_store(cfg);
  oc_digest key = key_of(n);
  oc_error err;
  oc_status status = oc_store_get(store, &key, object, NULL, &err);
  const char *w = oc_store_warning(store);
  snprintf(warning, warning_size, "%s", w ? w : "");
  oc_store_close(store);
  return status;
}

/* A direct connection, to look at or tamper with what the store wrote. */
static oc_redis *direct(void) {
  oc_remote_url url;
  char text[200];
  snprintf(text, sizeof text, "redis+unix://%s", socket_path);
  assert_int_equal(oc_remote_url_parse(text, &url, NULL), OC_OK);
  oc_redis *redis = NULL;
  oc_error err;
  if (oc_redis_connect(&url, 1000, 1000, &redis, &err) != OC_OK)
    fail_msg("%s", err.message);
  return redis;
}

static void redis_name(int n, char out[80]) {
  oc_digest key = key_of(n);
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&key, hex);
  snprintf(out, 80, OC_REMOTE_KEY_PREFIX "%s", hex);
}

static bool local_entry_exists(const oc_config *cfg, int n) {
  oc_digest key = key_of(n);
  char hex[OC_DIGEST_HEX_SIZE], path[PATH_MAX + 100];
  oc_digest_to_hex(&key, hex);
  snprintf(path, sizeof path, "%s/objects/%.2s/%s", cfg->cache_dir, hex,
           hex + 2);
  struct stat st;
  return stat(path, &st) == 0;
}

static void shared_between_machines(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_config a = machine("a"), b = machine("b");
  put_object(&a, 1, "object one");
  oc_stats sa = stats_of(&a);
  assert_int_equal(sa.value[OC_STAT_REMOTE_WRITES], 1);
  assert_true(sa.value[OC_STAT_REMOTE_BYTES_UP] > OC_ENTRY_HEADER_SIZE);

  /* The bytes in Redis are the local entry file's bytes. */
  oc_redis *redis = direct();
  char name[80];
  redis_name(1, name);
  oc_buffer value = {0};
  assert_int_equal(oc_redis_get(redis, name, 0, &value, NULL), OC_OK);
  oc_redis_close(redis);
  assert_int_equal(value.size, sa.value[OC_STAT_REMOTE_BYTES_UP]);
  assert_memory_equal(value.data, OC_ENTRY_MAGIC, OC_ENTRY_MAGIC_SIZE);

  oc_buffer object = {0};
  char warning[OC_ERROR_MESSAGE_SIZE];
  assert_false(local_entry_exists(&b, 1));
  assert_int_equal(get_object(&b, 1, &object, warning, sizeof warning), OC_OK);
  assert_string_equal(warning, "");
  assert_int_equal(object.size, strlen("object one"));
  assert_memory_equal(object.data, "object one", object.size);
  assert_true(local_entry_exists(&b, 1)); /* backfilled */
  oc_stats sb = stats_of(&b);
  assert_int_equal(sb.value[OC_STAT_REMOTE_HITS], 1);
  assert_int_equal(sb.value[OC_STAT_REMOTE_BYTES_DOWN], value.size);

  /* The next lookup on b is local: no further remote traffic. */
  assert_int_equal(get_object(&b, 1, &object, warning, sizeof warning), OC_OK);
  sb = stats_of(&b);
  assert_int_equal(sb.value[OC_STAT_REMOTE_HITS], 1);
  assert_int_equal(sb.value[OC_STAT_REMOTE_MISSES], 0);

  /* An unknown key: a miss in both tiers, counted. */
  assert_int_equal(get_object(&b, 2, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_int_equal(stats_of(&b).value[OC_STAT_REMOTE_MISSES], 1);
  oc_buffer_free(&value);
  oc_buffer_free(&object);
}

static void corrupt_and_foreign_values_are_misses(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_config a = machine("a"), b = machine("b");
  put_object(&a, 1, "genuine");
  oc_redis *redis = direct();
  char name[80];
  redis_name(1, name);
  oc_buffer value = {0};
  assert_int_equal(oc_redis_get(redis, name, 0, &value, NULL), OC_OK);

  /* A flipped payload bit, a truncation, the entry of another key, plain
   * text, and a list under the key. */
  oc_buffer other = {0};
  oc_digest other_key = key_of(99);
  assert_int_equal(
      oc_entry_encode(&other_key, "genuine", 7, NULL, 1, &other, NULL), OC_OK);
  value.data[value.size - 3] ^= 0x10;
  struct {
    const void *data;
    size_t size;
  } bad[] = {{value.data, value.size},
             {value.data, OC_ENTRY_HEADER_SIZE + 1},
             {other.data, other.size},
             {"hello", 5}};
  oc_buffer object = {0};
  char warning[OC_ERROR_MESSAGE_SIZE];
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(
        oc_redis_set(redis, name, bad[i].data, bad[i].size, 0, NULL), OC_OK);
    assert_int_equal(get_object(&b, 1, &object, warning, sizeof warning),
                     OC_NOT_FOUND);
    assert_contains(warning, "not a valid entry");
    assert_false(local_entry_exists(&b, 1));
  }
  oc_redis_close(redis);
  /* A list under the key. */
  char cmd[400];
  snprintf(cmd, sizeof cmd,
           "redis-cli -s %s DEL %s >/dev/null && redis-cli -s %s RPUSH %s x "
           ">/dev/null",
           socket_path, name, socket_path, name);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(get_object(&b, 1, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_contains(warning, "is not a string");

  oc_stats sb = stats_of(&b);
  assert_int_equal(sb.value[OC_STAT_REMOTE_CORRUPT], 5);
  assert_int_equal(sb.value[OC_STAT_REMOTE_MISSES], 5);
  assert_int_equal(sb.value[OC_STAT_REMOTE_HITS], 0);
  assert_int_equal(sb.value[OC_STAT_REMOTE_ERRORS], 0);
  oc_buffer_free(&value);
  oc_buffer_free(&other);
  oc_buffer_free(&object);
}

static void read_only_and_remote_only(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_config ro = machine("ro");
  ro.read_only = true;
  put_object(&ro, 1, "never stored");
  oc_redis *redis = direct();
  char name[80];
  redis_name(1, name);
  oc_buffer value = {0};
  assert_int_equal(oc_redis_get(redis, name, 0, &value, NULL), OC_NOT_FOUND);
  assert_int_equal(stats_of(&ro).value[OC_STAT_REMOTE_WRITES], 0);

  /* remote_read_only: no upload either, but the local tier works. */
  oc_config rro = machine("rro");
  rro.remote_read_only = true;
  put_object(&rro, 1, "local only");
  assert_int_equal(oc_redis_get(redis, name, 0, &value, NULL), OC_NOT_FOUND);
  assert_true(local_entry_exists(&rro, 1));
  assert_int_equal(stats_of(&rro).value[OC_STAT_REMOTE_WRITES], 0);

  /* remote_only: uploads, keeps nothing locally, and hits from the remote
   * without backfilling. */
  oc_config only = machine("only");
  only.remote_only = true;
  put_object(&only, 1, "remote only");
  assert_int_equal(oc_redis_get(redis, name, 0, &value, NULL), OC_OK);
  struct stat st;
  char objects[PATH_MAX + 16];
  snprintf(objects, sizeof objects, "%s/objects", only.cache_dir);
  assert_int_not_equal(stat(objects, &st), 0);
  oc_buffer object = {0};
  char warning[OC_ERROR_MESSAGE_SIZE];
  assert_int_equal(get_object(&only, 1, &object, warning, sizeof warning),
                   OC_OK);
  assert_memory_equal(object.data, "remote only", object.size);
  assert_int_not_equal(stat(objects, &st), 0);

  /* read_only serves a remote hit but does not backfill; remote_read_only
   * does. */
  assert_int_equal(get_object(&ro, 1, &object, warning, sizeof warning), OC_OK);
  assert_false(local_entry_exists(&ro, 1));
  oc_config rro2 = machine("rro2");
  rro2.remote_read_only = true;
  assert_int_equal(get_object(&rro2, 1, &object, warning, sizeof warning),
                   OC_OK);
  assert_true(local_entry_exists(&rro2, 1));
  oc_redis_close(redis);
  oc_buffer_free(&value);
  oc_buffer_free(&object);
}

static long elapsed_ms(const struct timeval *since) {
  struct timeval now;
  gettimeofday(&now, NULL);
  return (now.tv_sec - since->tv_sec) * 1000 +
         (now.tv_usec - since->tv_usec) / 1000;
}

/* A hung server (SIGSTOP: connects are accepted by the kernel, nothing
 * answers) costs one operation timeout, then the remote is down for every
 * process of the cache directory until the marker is older than the down
 * period; a dead server the same with an immediate failure. */
static void down_remote_is_paid_once(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_config a = machine("a");
  kill(server, SIGSTOP);
  oc_buffer object = {0};
  char warning[OC_ERROR_MESSAGE_SIZE];
  struct timeval start;
  gettimeofday(&start, NULL);
  assert_int_equal(get_object(&a, 1, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_true(elapsed_ms(&start) >= 250); /* the 300 ms timeout */
  assert_contains(warning, "not using the remote cache for");
  assert_contains(warning, socket_path);

  gettimeofday(&start, NULL);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(get_object(&a, 1, &object, warning, sizeof warning),
                     OC_NOT_FOUND);
    assert_string_equal(warning, ""); /* reported once */
  }
  put_object(&a, 3, "not uploaded while down");
  assert_true(elapsed_ms(&start) < 250); /* no further timeouts */
  oc_stats s = stats_of(&a);
  assert_int_equal(s.value[OC_STAT_REMOTE_ERRORS], 1);
  assert_int_equal(s.value[OC_STAT_REMOTE_SKIPPED], 6);
  assert_true(local_entry_exists(&a, 3)); /* the local tier still works */

  /* The down period over (the marker made old), a dead server: one more
   * error and one more warning. */
  kill(server, SIGCONT);
  stop_server();
  char marker[PATH_MAX + 32];
  snprintf(marker, sizeof marker, "%s/" OC_REMOTE_DOWN_FILE, a.cache_dir);
  struct timeval old[2] = {{time(NULL) - OC_REMOTE_DOWN_SECONDS - 5, 0},
                           {time(NULL) - OC_REMOTE_DOWN_SECONDS - 5, 0}};
  assert_int_equal(utimes(marker, old), 0);
  assert_int_equal(get_object(&a, 1, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_contains(warning, "cannot connect to redis");
  assert_int_equal(get_object(&a, 1, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_string_equal(warning, "");
  s = stats_of(&a);
  assert_int_equal(s.value[OC_STAT_REMOTE_ERRORS], 2);
  assert_int_equal(s.value[OC_STAT_REMOTE_SKIPPED], 7);

  /* A marker for another remote does not stop this one. */
  oc_config other = machine("a");
  snprintf(other.remote, sizeof other.remote, "redis://127.0.0.1:1");
  assert_int_equal(get_object(&other, 1, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_contains(warning, "127.0.0.1:1");
  oc_buffer_free(&object);
}

/* remote_expiry becomes the key's TTL in Redis; without it there is none. */
static void expiry_is_a_ttl(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_config a = machine("a");
  a.remote_expiry_ms = (uint64_t)7 * 24 * 3600 * 1000;
  put_object(&a, 1, "expires");
  oc_config b = machine("b");
  put_object(&b, 2, "stays");
  long ttl[2];
  for (int n = 1; n <= 2; n++) {
    char name[80], cmd[400];
    redis_name(n, name);
    snprintf(cmd, sizeof cmd, "redis-cli -s %s PTTL %s", socket_path, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%ld", &ttl[n - 1]), 1);
    pclose(p);
  }
  assert_true(ttl[0] > (long)6 * 24 * 3600 * 1000);
  assert_true(ttl[0] <= (long)7 * 24 * 3600 * 1000);
  assert_int_equal(ttl[1], -1); /* no expiry */
}

/* Over TCP, in a chosen database: the entry lands in that database only,
 * and another machine using the same URL hits it. */
static void tcp_and_database(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_config a = machine("a");
  snprintf(a.remote, sizeof a.remote, "redis://127.0.0.1:%d/5", tcp_port);
  oc_config b = a;
  snprintf(b.cache_dir, sizeof b.cache_dir, "%s/b", root);
  put_object(&a, 1, "over tcp");
  char name[80], cmd[400];
  redis_name(1, name);
  long exists[2];
  for (int i = 0; i < 2; i++) {
    snprintf(cmd, sizeof cmd, "redis-cli -s %s -n %d EXISTS %s", socket_path,
             i == 0 ? 5 : 0, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%ld", &exists[i]), 1);
    pclose(p);
  }
  assert_int_equal(exists[0], 1);
  assert_int_equal(exists[1], 0);
  oc_buffer object = {0};
  char warning[OC_ERROR_MESSAGE_SIZE];
  assert_int_equal(get_object(&b, 1, &object, warning, sizeof warning), OC_OK);
  assert_memory_equal(object.data, "over tcp", object.size);
  assert_int_equal(stats_of(&b).value[OC_STAT_REMOTE_HITS], 1);
  oc_buffer_free(&object);
}

/* The password reaches Redis (AUTH) but no message. */
static void password_is_used_and_never_shown(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  char cmd[300];
  snprintf(cmd, sizeof cmd,
           "redis-cli -s %s CONFIG SET requirepass hunter2 >/dev/null",
           socket_path);
  assert_int_equal(system(cmd), 0);
  oc_config good = machine("good");
  snprintf(good.remote, sizeof good.remote, "redis+unix://:hunter2@%s",
           socket_path);
  put_object(&good, 1, "with a password");
  assert_int_equal(stats_of(&good).value[OC_STAT_REMOTE_WRITES], 1);

  oc_config bad = machine("bad");
  snprintf(bad.remote, sizeof bad.remote, "redis+unix://:hunter3@%s",
           socket_path);
  oc_buffer object = {0};
  char warning[OC_ERROR_MESSAGE_SIZE];
  assert_int_equal(get_object(&bad, 1, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_contains(warning, "AUTH refused");
  assert_null(strstr(warning, "hunter"));
  oc_buffer_free(&object);
}

/* ---- direct-mode manifests ---------------------------------------------- */

/* A candidate whose result key and one file's hash are tagged by n. */
static oc_manifest_candidate candidate_of(int n, oc_manifest_file *file) {
  static char path[] = "/src/main.c";
  *file = (oc_manifest_file){OC_MANIFEST_FILE_READ,      path, 10, 1, 2,
                             oc_hash_bytes(&n, sizeof n)};
  return (oc_manifest_candidate){.result_key = key_of(n),
                                 .created_unix = 1700000000u + (unsigned)n,
                                 .files = file,
                                 .file_count = 1};
}

/* Adds candidate n under direct key `direct` through a fresh store, as the
 * launcher does; returns the store's warning ("" for none). */
static const char *add_candidate(const oc_config *cfg, int direct, int n) {
  static char warning[OC_ERROR_MESSAGE_SIZE];
  oc_store *store = open_store(cfg);
  oc_digest key = key_of(1000 + direct);
  oc_manifest_file file;
  oc_manifest_candidate c = candidate_of(n, &file);
  oc_error err;
  assert_int_equal(oc_store_add_candidate(store, &key, &c, &err), OC_OK);
  const char *w = oc_store_warning(store);
  snprintf(warning, sizeof warning, "%s", w ? w : "");
  oc_store_close(store);
  return warning;
}

/* get_manifest through a fresh store; *results gets the candidates' result
 * keys' tags (key_of), oldest first, and *warning any warning. */
static oc_status get_manifest(const oc_config *cfg, int direct, int *results,
                              size_t *count, char *warning,
                              size_t warning_size) {
  oc_store *store = open_store(cfg);
  oc_digest key = key_of(1000 + direct);
  oc_manifest m = {0};
  oc_error err;
  oc_status status = oc_store_get_manifest(store, &key, &m, &err);
  *count = m.count;
  for (size_t i = 0; i < m.count; i++) {
    results[i] = -1;
    for (int n = 0; n < 100; n++) {
      oc_digest k = key_of(n);
      if (oc_digest_equal(&k, &m.candidates[i].result_key))
        results[i] = n;
    }
  }
  oc_manifest_free(&m);
  const char *w = oc_store_warning(store);
  snprintf(warning, warning_size, "%s", w ? w : "");
  oc_store_close(store);
  return status;
}

static void manifest_redis_name(int direct, char out[80]) {
  oc_digest key = key_of(1000 + direct);
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&key, hex);
  snprintf(out, 80, OC_REMOTE_MANIFEST_PREFIX "%s", hex);
}

static bool local_manifest_exists(const oc_config *cfg, int direct) {
  oc_digest key = key_of(1000 + direct);
  char hex[OC_DIGEST_HEX_SIZE], path[PATH_MAX + 100];
  oc_digest_to_hex(&key, hex);
  snprintf(path, sizeof path, "%s/objects/%.2s/%s.m", cfg->cache_dir, hex,
           hex + 2);
  struct stat st;
  return stat(path, &st) == 0;
}

/* a's manifest reaches b (validated, backfilled); b's add uploads the merge
 * of both machines' candidates, so c sees both; manifest traffic has its
 * own hit/miss/write counters and leaves the object ones alone. */
static void manifests_are_shared_and_merged(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_config a = machine("a"), b = machine("b"), c = machine("c");
  assert_string_equal(add_candidate(&a, 1, 10), "");
  oc_stats sa = stats_of(&a);
  assert_int_equal(sa.value[OC_STAT_REMOTE_MANIFEST_WRITES], 1);
  assert_int_equal(sa.value[OC_STAT_REMOTE_WRITES], 0);
  assert_true(sa.value[OC_STAT_REMOTE_BYTES_UP] > 0);

  int results[OC_MANIFEST_MAX_CANDIDATES];
  size_t count;
  char warning[OC_ERROR_MESSAGE_SIZE];
  assert_false(local_manifest_exists(&b, 1));
  assert_int_equal(
      get_manifest(&b, 1, results, &count, warning, sizeof warning), OC_OK);
  assert_string_equal(warning, "");
  assert_int_equal(count, 1);
  assert_int_equal(results[0], 10);
  assert_true(local_manifest_exists(&b, 1)); /* backfilled */
  oc_stats sb = stats_of(&b);
  assert_int_equal(sb.value[OC_STAT_REMOTE_MANIFEST_HITS], 1);
  assert_int_equal(sb.value[OC_STAT_REMOTE_HITS], 0);
  assert_int_equal(sb.value[OC_STAT_REMOTE_BYTES_DOWN],
                   sa.value[OC_STAT_REMOTE_BYTES_UP]);

  /* b adds its own candidate: the upload holds a's and b's. */
  add_candidate(&b, 1, 11);
  assert_int_equal(
      get_manifest(&c, 1, results, &count, warning, sizeof warning), OC_OK);
  assert_int_equal(count, 2);
  assert_int_equal(results[0], 10);
  assert_int_equal(results[1], 11);

  /* a, which never saw b's candidate locally, adds another: the merge keeps
   * b's (from the remote), then a's own two, newest last. */
  add_candidate(&a, 1, 12);
  oc_config d = machine("d");
  assert_int_equal(
      get_manifest(&d, 1, results, &count, warning, sizeof warning), OC_OK);
  assert_int_equal(count, 3);
  assert_int_equal(results[0], 11);
  assert_int_equal(results[1], 10);
  assert_int_equal(results[2], 12);

  /* A direct key nobody added: a miss, counted as such. */
  assert_int_equal(
      get_manifest(&d, 2, results, &count, warning, sizeof warning),
      OC_NOT_FOUND);
  oc_stats sd = stats_of(&d);
  assert_int_equal(sd.value[OC_STAT_REMOTE_MANIFEST_MISSES], 1);
  assert_int_equal(sd.value[OC_STAT_REMOTE_MISSES], 0);

  /* The merge is bounded: many candidates from many machines keep the
   * newest OC_MANIFEST_MAX_CANDIDATES. */
  for (int n = 20; n < 20 + OC_MANIFEST_MAX_CANDIDATES + 4; n++) {
    char name[16];
    snprintf(name, sizeof name, "m%d", n);
    oc_config m = machine(name);
    add_candidate(&m, 3, n);
  }
  assert_int_equal(
      get_manifest(&d, 3, results, &count, warning, sizeof warning), OC_OK);
  assert_int_equal(count, OC_MANIFEST_MAX_CANDIDATES);
  assert_int_equal(results[0], 24);
  assert_int_equal(results[count - 1], 20 + OC_MANIFEST_MAX_CANDIDATES + 3);
}

/* Invalid values under a manifest key are misses: counted once, reported,
 * never served nor kept; the next add replaces them. */
static void invalid_manifests_are_misses(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_config a = machine("a"), b = machine("b");
  assert_string_equal(add_candidate(&a, 1, 10), "");
  oc_redis *redis = direct();
  char name[80];
  manifest_redis_name(1, name);
  oc_buffer value = {0};
  assert_int_equal(oc_redis_get(redis, name, 0, &value, NULL), OC_OK);
  value.data[value.size / 2] ^= 0x01;
  oc_buffer entry = {0};
  oc_digest key = key_of(1001);
  assert_int_equal(oc_entry_encode(&key, "x", 1, NULL, 1, &entry, NULL), OC_OK);
  struct {
    const void *data;
    size_t size;
    const char *why;
  } bad[] = {{value.data, value.size, "checksum"},
             {value.data, 20, "truncated"},
             {entry.data, entry.size, "magic"}, /* an object entry */
             {"hello", 5, "truncated"}};
  int results[OC_MANIFEST_MAX_CANDIDATES];
  size_t count;
  char warning[OC_ERROR_MESSAGE_SIZE];
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(
        oc_redis_set(redis, name, bad[i].data, bad[i].size, 0, NULL), OC_OK);
    assert_int_equal(
        get_manifest(&b, 1, results, &count, warning, sizeof warning),
        OC_NOT_FOUND);
    assert_int_equal(count, 0);
    assert_contains(warning, "is not a valid manifest");
    assert_contains(warning, bad[i].why);
    assert_false(local_manifest_exists(&b, 1));
  }
  oc_stats sb = stats_of(&b);
  assert_int_equal(sb.value[OC_STAT_REMOTE_CORRUPT], 4);
  assert_int_equal(sb.value[OC_STAT_REMOTE_MANIFEST_MISSES], 4);
  assert_int_equal(sb.value[OC_STAT_REMOTE_ERRORS], 0);

  /* An add over an invalid value uploads a good manifest. */
  oc_config c = machine("c");
  const char *replaced = add_candidate(&c, 1, 11); /* once: a macro below */
  assert_contains(replaced, "is not a valid manifest");
  oc_config d = machine("d");
  assert_int_equal(
      get_manifest(&d, 1, results, &count, warning, sizeof warning), OC_OK);
  assert_int_equal(count, 1);
  assert_int_equal(results[0], 11);
  assert_int_equal(stats_of(&c).value[OC_STAT_REMOTE_CORRUPT], 1);
  oc_redis_close(redis);
  oc_buffer_free(&value);
  oc_buffer_free(&entry);
}

/* read_only and remote_read_only never upload a manifest; read_only keeps
 * no local copy of a remote one, remote_read_only does; remote_only shares
 * without a local file. A down remote costs the add nothing locally. */
static void manifest_tier_settings(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  oc_redis *redis = direct();
  char name[80];
  manifest_redis_name(1, name);
  oc_buffer value = {0};
  oc_config ro = machine("ro"), rro = machine("rro");
  ro.read_only = true;
  rro.remote_read_only = true;
  add_candidate(&ro, 1, 10);
  add_candidate(&rro, 1, 10);
  assert_int_equal(oc_redis_get(redis, name, 0, &value, NULL), OC_NOT_FOUND);
  assert_false(local_manifest_exists(&ro, 1));
  assert_true(local_manifest_exists(&rro, 1));
  assert_int_equal(stats_of(&rro).value[OC_STAT_REMOTE_MANIFEST_WRITES], 0);

  oc_config only = machine("only");
  only.remote_only = true;
  add_candidate(&only, 1, 11);
  assert_int_equal(oc_redis_get(redis, name, 0, &value, NULL), OC_OK);
  char objects[PATH_MAX + 16];
  snprintf(objects, sizeof objects, "%s/objects", only.cache_dir);
  struct stat st;
  assert_int_not_equal(stat(objects, &st), 0);

  int results[OC_MANIFEST_MAX_CANDIDATES];
  size_t count;
  char warning[OC_ERROR_MESSAGE_SIZE];
  assert_int_equal(
      get_manifest(&only, 1, results, &count, warning, sizeof warning), OC_OK);
  assert_int_not_equal(stat(objects, &st), 0);
  assert_int_equal(
      get_manifest(&ro, 1, results, &count, warning, sizeof warning), OC_OK);
  assert_false(local_manifest_exists(&ro, 1));
  oc_redis_close(redis);
  oc_buffer_free(&value);

  /* A dead server: the lookup is a miss and the add works locally, one
   * error and one warning for the down period. */
  stop_server();
  oc_config a = machine("a");
  assert_int_equal(
      get_manifest(&a, 1, results, &count, warning, sizeof warning),
      OC_NOT_FOUND);
  assert_contains(warning, "cannot connect to redis");
  assert_string_equal(add_candidate(&a, 1, 12), ""); /* reported already */
  assert_true(local_manifest_exists(&a, 1));
  oc_stats s = stats_of(&a);
  assert_int_equal(s.value[OC_STAT_REMOTE_ERRORS], 1);
  assert_int_equal(s.value[OC_STAT_REMOTE_SKIPPED], 1); /* the merge fetch */
  assert_int_equal(s.value[OC_STAT_REMOTE_MANIFEST_MISSES], 0);
  assert_int_equal(s.value[OC_STAT_REMOTE_MANIFEST_WRITES], 0);
}

/* ---- issue 18: hostile servers and signed values ------------------------ */

/* A fake server on its own unix socket: accepts one connection, reads the
 * command, then writes `reply` one chunk of `chunk` bytes every `gap_ms`
 * (gap 0: all at once), then holds the connection open. */
static pid_t fake_server(const char *path, const char *reply, size_t len,
                         size_t chunk, int gap_ms) {
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(listen(fd, 4), 0);
  pid_t pid = fork();
  if (pid == 0) {
    int c = accept(fd, NULL, NULL);
    char buf[4096];
    (void)read(c, buf, sizeof buf);
    for (size_t off = 0; off < len;) {
      size_t n = gap_ms && chunk < len - off ? chunk : len - off;
      if (write(c, reply + off, n) < 0)
        _exit(0);
      off += n;
      if (gap_ms)
        usleep((useconds_t)gap_ms * 1000);
    }
    sleep(30);
    _exit(0);
  }
  close(fd);
  return pid;
}

static void end_fake(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static oc_redis *connect_fake(const char *path, uint32_t op_ms) {
  oc_remote_url url;
  char text[200];
  snprintf(text, sizeof text, "redis+unix://%s", path);
  assert_int_equal(oc_remote_url_parse(text, &url, NULL), OC_OK);
  oc_redis *redis = NULL;
  oc_error err;
  if (oc_redis_connect(&url, 1000, op_ms, &redis, &err) != OC_OK)
    fail_msg("%s", err.message);
  return redis;
}

/* A server trickling one byte every 50 ms used to hold a GET for as long as
 * it liked under a per-syscall timeout; now the whole reply has one
 * deadline. */
static void trickling_server_meets_the_deadline(void **unused) {
  (void)unused;
  char path[128];
  snprintf(path, sizeof path, "%s/fake.sock", root);
  static char reply[256];
  int n = snprintf(reply, sizeof reply, "$100\r\n");
  memset(reply + n, 'x', 100);
  memcpy(reply + n + 100, "\r\n", 2);
  pid_t pid = fake_server(path, reply, (size_t)n + 102, 1, 50);
  oc_redis *redis = connect_fake(path, 300);
  oc_buffer value = {0};
  oc_error err;
  struct timeval start;
  gettimeofday(&start, NULL);
  assert_int_equal(oc_redis_get(redis, "k", 0, &value, &err), OC_IO_ERROR);
  long took = elapsed_ms(&start);
  assert_true(took >= 250);
  assert_true(took < 1000); /* the trickle needs over 5 s */
  assert_contains(err.message, "timed out");
  oc_redis_close(redis);
  end_fake(pid);
  oc_buffer_free(&value);
}

/* A reply longer than the caller accepts is refused from its length
 * header, before its body is read (it used to be read whole: 600 MB). */
static void oversized_reply_is_refused_unread(void **unused) {
  (void)unused;
  char path[128];
  snprintf(path, sizeof path, "%s/fake.sock", root);
  const char *reply = "$600000000\r\nxxxx";
  pid_t pid = fake_server(path, reply, strlen(reply), 0, 0);
  oc_redis *redis = connect_fake(path, 2000);
  oc_buffer value = {0};
  oc_error err;
  struct timeval start;
  gettimeofday(&start, NULL);
  assert_int_equal(oc_redis_get(redis, "k", 1 << 20, &value, &err),
                   OC_IO_ERROR);
  assert_true(elapsed_ms(&start) < 1000); /* not a wait for the body */
  assert_contains(err.message, "larger than any acceptable value");
  assert_int_equal(value.size, 0);
  oc_redis_close(redis);
  end_fake(pid);

  /* Within the limit, the same path returns the value. */
  pid = fake_server(path, "$3\r\nabc\r\n", 9, 0, 0);
  redis = connect_fake(path, 2000);
  assert_int_equal(oc_redis_get(redis, "k", 3, &value, &err), OC_OK);
  assert_int_equal(value.size, 3);
  oc_redis_close(redis);
  end_fake(pid);
  oc_buffer_free(&value);
}

/* With remote_secret, writers sign and readers refuse what is unsigned or
 * signed with another secret, locally and from the remote; a reader with
 * no secret still reads signed values. Manifests alike. */
static void signed_values(void **unused) {
  (void)unused;
  if (server < 0)
    skip();
  const char *secret = "ci-secret-0123456789";
  oc_config ci = machine("ci"), dev = machine("dev"), plain = machine("plain"),
            wrong = machine("wrong"), forger = machine("forger");
  snprintf(ci.remote_secret, sizeof ci.remote_secret, "%s", secret);
  snprintf(dev.remote_secret, sizeof dev.remote_secret, "%s", secret);
  snprintf(wrong.remote_secret, sizeof wrong.remote_secret,
           "another-secret-0123");
  dev.remote_read_only = true;
  put_object(&ci, 1, "signed object");
  oc_buffer object = {0};
  char warning[OC_ERROR_MESSAGE_SIZE];
  assert_int_equal(get_object(&dev, 1, &object, warning, sizeof warning),
                   OC_OK);
  assert_memory_equal(object.data, "signed object", object.size);
  /* Backfilled signed, and the local copy passes the check too. */
  assert_int_equal(get_object(&dev, 1, &object, warning, sizeof warning),
                   OC_OK);
  assert_int_equal(stats_of(&dev).value[OC_STAT_REMOTE_HITS], 1);
  assert_int_equal(get_object(&plain, 1, &object, warning, sizeof warning),
                   OC_OK);
  assert_int_equal(object.size, strlen("signed object"));
  assert_int_equal(get_object(&wrong, 1, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_contains(warning, "signature does not match");
  assert_int_equal(stats_of(&wrong).value[OC_STAT_REMOTE_CORRUPT], 1);

  /* A forger without the secret overwrites the value: refused. */
  put_object(&forger, 2, "forged object");
  assert_int_equal(get_object(&dev, 2, &object, warning, sizeof warning),
                   OC_NOT_FOUND);
  assert_contains(warning, "not signed");
  assert_null(strstr(warning, secret));
  /* ... and a forged local entry in the reader's own cache too. */
  oc_config forged_local = forger;
  snprintf(forged_local.cache_dir, sizeof forged_local.cache_dir, "%s",
           dev.cache_dir);
  forged_local.remote[0] = '\0';
  put_object(&forged_local, 3, "forged local object");
  assert_int_equal(get_object(&dev, 3, &object, warning, sizeof warning),
                   OC_CORRUPT);
  assert_false(local_entry_exists(&dev, 3)); /* removed, counted */
  assert_int_equal(stats_of(&dev).value[OC_STAT_CORRUPT_ENTRIES], 1);

  /* Manifests: signed by ci, refused by wrong, read by dev. */
  add_candidate(&ci, 1, 10);
  int results[OC_MANIFEST_MAX_CANDIDATES];
  size_t count;
  assert_int_equal(
      get_manifest(&dev, 1, results, &count, warning, sizeof warning), OC_OK);
  assert_int_equal(count, 1);
  assert_int_equal(
      get_manifest(&wrong, 1, results, &count, warning, sizeof warning),
      OC_NOT_FOUND);
  assert_contains(warning, "signature");
  add_candidate(&forger, 2, 11); /* an unsigned manifest */
  assert_int_equal(
      get_manifest(&dev, 2, results, &count, warning, sizeof warning),
      OC_NOT_FOUND);
  assert_contains(warning, "not signed");
  oc_buffer_free(&object);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(shared_between_machines, setup, teardown),
      cmocka_unit_test_setup_teardown(trickling_server_meets_the_deadline,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(oversized_reply_is_refused_unread, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(signed_values, setup, teardown),
      cmocka_unit_test_setup_teardown(corrupt_and_foreign_values_are_misses,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(read_only_and_remote_only, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(down_remote_is_paid_once, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(password_is_used_and_never_shown, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(expiry_is_a_ttl, setup, teardown),
      cmocka_unit_test_setup_teardown(tcp_and_database, setup, teardown),
      cmocka_unit_test_setup_teardown(manifests_are_shared_and_merged, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(invalid_manifests_are_misses, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(manifest_tier_settings, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
