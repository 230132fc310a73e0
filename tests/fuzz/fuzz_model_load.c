/* libFuzzer target: the whole model loader (container, metadata, config JSON, tensor shapes,
 * filter bank) on arbitrary files. A file is either refused with a GError or loads into a
 * model whose info is consistent. */
#include "fuzz_util.h"
#include "mega.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  MegaModel *m = mega_model_load (fuzz_write_temp (data, size), &error);
  if (m == NULL) {
    if (error == NULL || error->domain != MEGA_ERROR || error->message[0] == '\0')
      abort ();   /* a refusal must say why */
    g_error_free (error);
    return 0;
  }
  if (error != NULL)
    abort ();
  const MegaInfo *info = mega_model_info (m);
  if (info->n_labels < 1 || info->sample_rate < 1 || info->frame_shift < 1
      || info->frame_length < info->frame_shift || info->labels[info->n_labels - 1] == NULL)
    abort ();
  mega_model_free (m);
  return 0;
}
