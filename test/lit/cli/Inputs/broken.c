/* broken.c - does not compile: the launcher must keep clang's diagnostic
 * and its exit status. */
int broken(void) { return undeclared_name; }
