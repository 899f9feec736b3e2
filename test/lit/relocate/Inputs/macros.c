/* __FILE__ in a header found through an absolute -I directory names the
 * checkout; the macro prefix map rewrites it, so the string in the object
 * depends on both. */
#include "where.h"
const char *here(void) { return where(); }
