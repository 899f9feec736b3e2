/* Enough headers that the .d file's first rule wraps: a target of another
 * length moves its line breaks. */
#include "one.h"
#include "with-a-rather-long-directory-name/two.h"
#include "with-a-rather-long-directory-name/three.h"
int main(void) { return ONE + TWO + THREE; }
