# sqlite3.mk - builds the SQLite shell from the amalgamation, with the
# options of a typical distribution build (FTS5, R-tree, JSON, math).
DEFS = -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE \
  -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_COLUMN_METADATA

sqlite3: shell.o sqlite3.o
	$(CC) -o $@ shell.o sqlite3.o -lpthread -ldl -lm

shell.o: shell.c sqlite3.h
	$(CC) $(CFLAGS) $(DEFS) -c shell.c -o $@

sqlite3.o: sqlite3.c
	$(CC) $(CFLAGS) $(DEFS) -c sqlite3.c -o $@
