/* A bounded, validating reader for the safetensors layout (model/FORMAT.md).
 *
 * It checks only the container: header size within the file, JSON syntax, string-only
 * __metadata__, dtype F32, shapes, data_offsets inside the data area and matching the shape,
 * no two tensors overlapping. What the tensors mean is model_file.c's job. */
#ifndef MEGA_SAFETENSORS_H
#define MEGA_SAFETENSORS_H

#include <glib.h>
#include <stdint.h>

#define MEGA_ST_MAX_DIMS 8

typedef struct {
  char *name;
  int ndim;
  uint64_t shape[MEGA_ST_MAX_DIMS];
  uint64_t n_elements;
  uint64_t begin, end;  /* byte offsets relative to the data area */
} MegaStTensor;

typedef struct {
  guint8 *file;            /* the whole file */
  uint64_t file_size;
  const guint8 *data;      /* the data area, inside file */
  uint64_t data_size;
  GHashTable *metadata;    /* char* -> char*, owned */
  MegaStTensor *tensors;   /* sorted by begin */
  size_t n_tensors;
  GHashTable *by_name;     /* name -> MegaStTensor* */
} MegaSafetensors;

/* Reads and validates path. Errors: MEGA_ERROR_IO (missing, unreadable, truncated) or
 * MEGA_ERROR_FORMAT, messages prefixed with "path: ". */
MegaSafetensors *mega_safetensors_open (const char *path, GError **error);
void mega_safetensors_free (MegaSafetensors *st);
const MegaStTensor *mega_safetensors_find (const MegaSafetensors *st, const char *name);
/* Copies a tensor's little-endian F32 data into dst (which must hold n_elements floats). */
void mega_safetensors_copy (const MegaSafetensors *st, const MegaStTensor *t, float *dst);
/* "[128, 64]" for messages; g_free it. */
char *mega_shape_string (const uint64_t *shape, int ndim);

#endif /* MEGA_SAFETENSORS_H */
