/* fixture.h - the unit tests' one temp-directory fixture.
 *
 * fixture_setup makes a fresh directory under /tmp for each test and
 * names it in `root`, with `cache` set to root/cache (not created: several
 * tests check that lib creates the cache directory itself);
 * fixture_teardown removes the whole tree. Tests that need more (a server,
 * environment variables) call these from their own setup and teardown. */
#ifndef OC_TEST_FIXTURE_H
#define OC_TEST_FIXTURE_H

extern char root[64];   /* a fresh temp dir per test */
extern char cache[128]; /* root/cache */

/* cmocka setup/teardown shapes; 0 on success, -1 on failure. */
int fixture_setup(void **state);
int fixture_teardown(void **state);

#endif
