/* libFuzzer target: the safetensors container parser alone (header length, JSON, dtypes,
 * shapes, offsets, overlaps). Whatever it accepts must describe tensors that lie inside the
 * data area, sorted and without overlap, so copying each one is safe (ASan checks that). */
#include "fuzz_util.h"
#include "mega.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  MegaSafetensors *st = mega_safetensors_open (fuzz_write_temp (data, size), &error);
  if (st == NULL) {
    if (error == NULL || error->domain != MEGA_ERROR)
      abort ();
    g_error_free (error);
    return 0;
  }
  uint64_t prev_end = 0;
  for (size_t i = 0; i < st->n_tensors; i++) {
    const MegaStTensor *t = &st->tensors[i];
    if (t->begin < prev_end || t->end < t->begin || t->end > st->data_size
        || t->end - t->begin != t->n_elements * 4
        || mega_safetensors_find (st, t->name) != t)
      abort ();
    prev_end = t->end;
    float *dst = g_new (float, t->n_elements + 1);
    mega_safetensors_copy (st, t, dst);
    g_free (dst);
  }
  mega_safetensors_free (st);
  return 0;
}
