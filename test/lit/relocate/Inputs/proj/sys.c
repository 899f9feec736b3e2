#include <stdio.h>
#include "one.h"
int show(void) { return printf("%d\n", ONE); }
