/* Batch inputs: the manifest file and the result files of --output-dir. */
#pragma once

#include "options.h"

G_BEGIN_DECLS

/* The non-empty lines of path ("-": stdin), NULL-terminated; a trailing "\r" is dropped,
 * nothing else is trimmed. NULL with error set when it cannot be read. */
gchar **mc_manifest_read (const gchar *path, GError **error);

/* dir/HASH.json, HASH the SHA-256 (hex) of the input exactly as given. */
gchar *mc_result_path (const gchar *dir, const gchar *input);

/* Writes the job's result (or its error) atomically: a temporary file in the same
 * directory, then rename(). */
gboolean mc_result_write (const gchar *path, McMode mode, const McJob *job, GError **error);

/* Reads a result file back into a job (job->error set for an error result). *mode is
 * the mode it was written in (events or clip; unchanged for an error result). NULL with
 * error set when the file is missing (G_FILE_ERROR_NOENT) or is not a result file. */
McJob *mc_result_read (const gchar *path, McMode *mode, GError **error);

G_END_DECLS
