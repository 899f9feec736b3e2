/* main.c - prints a checksum, so a run shows the build links and works. */
#include "util.h"
#include <stdio.h>

int main(void) {
  printf("checksum %08x\n", checksum("objcache"));
  return 0;
}
