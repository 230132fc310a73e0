/* Printing results: table, json or csv, events or clip. */
#pragma once

#include <stdio.h>
#include "options.h"

G_BEGIN_DECLS

typedef struct McReport McReport;

/* inputs and labels size the table's columns up front, so rows can be printed as soon
 * as each file is done and still line up. */
McReport *mc_report_new (McMode mode, McFormat format, FILE *out, gchar **inputs,
    gchar **labels);
void mc_report_header (McReport *report);
/* Prints the results of a job that succeeded; prints nothing for a failed one. */
void mc_report_job (McReport *report, const McJob *job);
void mc_report_free (McReport *report);

/* The line of a --output-dir result file: the job's JSON object with its "index", or
 * {"file", "uri", "index", "error"} for a failed job. Free with free(). */
gchar *mc_report_result_json (McMode mode, const McJob *job);

G_END_DECLS
