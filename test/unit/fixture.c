/* fixture.c - the unit tests' one temp-directory fixture (fixture.h). */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

char root[64];
char cache[128];

int fixture_setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "/tmp/oc-unit-XXXXXX");
  if (!mkdtemp(root))
    return -1;
  snprintf(cache, sizeof cache, "%s/cache", root);
  return 0;
}

int fixture_teardown(void **state) {
  (void)state;
  char cmd[sizeof root + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  return system(cmd) == 0 ? 0 : -1;
}
