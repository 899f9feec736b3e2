/* spawn.c - running a program and reading what it writes.
 *
 * The launcher runs other programs four ways: the compiler itself in
 * direct mode (its stderr teed through a pipe), `compiler --version` to
 * identify it, the probes of the direct key (the dynamic loader's list,
 * the driver's config and GCC directories), and the check that the
 * compiler loads the plugin. All are posix_spawn, one output through a
 * pipe, read to the end, then waitpid: done here once. The pipe is O_CLOEXEC,
 * so no other child inherits it. */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char **tool_env_with(const char *setting) {
  size_t n_env = 0;
  while (environ[n_env])
    n_env++;
  char **env = malloc((n_env + 2) * sizeof *env);
  if (!env)
    return NULL;
  const char *equals = setting ? strchr(setting, '=') : NULL;
  size_t name_len = equals ? (size_t)(equals - setting) + 1 : 0;
  size_t k = 0;
  for (size_t i = 0; i < n_env; i++)
    if (!name_len || strncmp(environ[i], setting, name_len) != 0)
      env[k++] = environ[i];
  if (setting)
    env[k++] = (char *)setting;
  env[k] = NULL;
  return env;
}

int tool_spawn(const char *path, char *const argv[], char *const envp[], int fd,
               bool quiet, tool_spawn_output *output, void *ctx) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                     O_RDONLY, 0);
    posix_spawn_file_actions_addopen(
        &actions, fd == STDOUT_FILENO ? STDERR_FILENO : STDOUT_FILENO,
        "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, fds[1], fd);
  pid_t pid;
  int rc = posix_spawn(&pid, path, &actions, NULL, argv, envp ? envp : environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  /* Read to the end even when the reader wants no more, so that the
   * program never blocks on a full pipe. */
  static char chunk[65536];
  for (;;) {
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (output)
      output(ctx, chunk, (size_t)n);
  }
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

typedef struct {
  char *out;
  size_t size, len;
} capture;

static void keep(void *ctx, const char *data, size_t len) {
  capture *c = ctx;
  size_t room = c->size - 1 - c->len;
  if (len > room)
    len = room;
  memcpy(c->out + c->len, data, len);
  c->len += len;
}

int tool_run_capture(const char *path, char *const argv[], char *const envp[],
                     int fd, char *out, size_t size) {
  capture c = {out, size, 0};
  int status = tool_spawn(path, argv, envp, fd, true, keep, &c);
  out[c.len] = '\0';
  return status;
}
