/* __FILE__ of a header found through -I: an absolute -I puts the checkout
 * into the object. */
#include "where.h"
const char *here(void) { return where(); }
