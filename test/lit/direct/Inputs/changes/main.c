/* Includes a header found on the include path and one found through
 * CPATH; the tests shadow, edit and move them. */
#include "pick.h"
#include <viaenv.h>
#ifndef FROM_CONFIG
#define FROM_CONFIG 0
#endif
int value(void) { return PICK + VIAENV + FROM_CONFIG; }
