// LD_PRELOAD shim for the durability test: fsync() of a file whose path
// ends with $FAIL_FSYNC_SUFFIX fails with EIO (only the first such call when
// $FAIL_FSYNC_ONCE is set: a retry would then succeed); every other fsync is
// real.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fsync(int fd) {
  static int (*real)(int);
  static int failures;
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  const char *suffix = getenv("FAIL_FSYNC_SUFFIX");
  if (suffix && !(getenv("FAIL_FSYNC_ONCE") && failures > 0)) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    size_t want = strlen(suffix);
    if (n > 0 && (size_t)n >= want) {
      path[n] = 0;
      if (strcmp(path + n - want, suffix) == 0) {
        failures++;
        errno = EIO;
        return -1;
      }
    }
  }
  return real(fd);
}
