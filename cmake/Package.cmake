# The Debian package (`make deb`): CPack's DEB generator packs what
# `cmake --install` puts under /usr. dpkg-shlibdeps works out Depends from
# the libraries the launcher and the plugin really link; clang-22 is added
# because the plugin only loads into clang 22.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME objcache)
set(CPACK_PACKAGE_VENDOR "objcache")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "compilation cache inside Clang 22, as an LLVM pass plugin")
# The summary above becomes the first line of the description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "objcache caches object files keyed by the LLVM IR and the complete
code-generation configuration clang 22 sees. It is used as a pass plugin
(-fpass-plugin), as a ccache-like launcher (objcache clang-22 ...), or
through the compiler links in /usr/lib/objcache/bin put first on PATH.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # objcache_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "objcache developers <objcache@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Stripped, as Debian ships binaries. The plugin keeps its build-id, which
# is what the cache key knows it by, so the package shares entries with
# the unstripped build it came from.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS clang-22)
include(CPack)
