#include "common.h"
int unused_variable(void) {
  int unused;
  return SCALE;
}
