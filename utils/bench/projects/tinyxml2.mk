# tinyxml2.mk - tinyxml2's own Makefile, except that xmltest is compiled
# to an object and then linked, instead of in one command, so that its
# object can be compared and cached like any other.
include Makefile

xmltest: xmltest.o libtinyxml2.a
	$(CXX) $(LDFLAGS) -o $@ xmltest.o libtinyxml2.a
