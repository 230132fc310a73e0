/* Shared by the libFuzzer targets: the loaders read files, so each input is written to one
 * private temporary file first (in /dev/shm when there is one, to keep it off the disk). */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static const char *
fuzz_write_temp (const uint8_t *data, size_t size)
{
  static char *path;
  if (path == NULL) {
    const char *dir = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();
    path = g_strdup_printf ("%s/mega-fuzz-%d.safetensors", dir, (int) getpid ());
  }
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    abort ();
  return path;
}

#endif
