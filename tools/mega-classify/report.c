#include "report.h"

#include <string.h>

struct McReport {
  McMode mode;
  McFormat format;
  FILE *out;
  guint file_width;
  guint label_width;
  gboolean result_file;      /* JSON for --output-dir: with "index", errors as objects */
};

/* Longest plausible file column: longer names overflow rather than widen every row. */
#define MAX_FILE_WIDTH 60

static guint
display_width (const gchar *text)
{
  return g_utf8_validate (text, -1, NULL) ? (guint) g_utf8_strlen (text, -1) : (guint) strlen (text);
}

McReport *
mc_report_new (McMode mode, McFormat format, FILE *out, gchar **inputs, gchar **labels)
{
  McReport *r = g_new0 (McReport, 1);
  r->mode = mode;
  r->format = format;
  r->out = out;
  r->file_width = strlen ("FILE");
  for (guint i = 0; inputs && inputs[i]; i++) {
    gchar *shown = g_filename_display_name (inputs[i]);
    r->file_width = MAX (r->file_width, MIN (display_width (shown), MAX_FILE_WIDTH));
    g_free (shown);
  }
  r->label_width = strlen ("LABEL");
  for (guint i = 0; labels && labels[i]; i++)
    r->label_width = MAX (r->label_width, display_width (labels[i]));
  return r;
}

void
mc_report_free (McReport *r)
{
  g_free (r);
}

static void
put_padded (FILE *out, const gchar *text, guint width)
{
  fputs (text, out);
  for (guint w = display_width (text); w < width; w++)
    fputc (' ', out);
}

static gdouble
seconds (GstClockTime t)
{
  return GST_CLOCK_TIME_IS_VALID (t) ? (gdouble) t / GST_SECOND : 0.0;
}

/* JSON string with the escapes RFC 8259 requires. */
static void
put_json_string (FILE *out, const gchar *text)
{
  if (text == NULL) {
    fputs ("null", out);
    return;
  }
  fputc ('"', out);
  for (const guchar *p = (const guchar *) text; *p; p++) {
    switch (*p) {
      case '"': fputs ("\\\"", out); break;
      case '\\': fputs ("\\\\", out); break;
      case '\n': fputs ("\\n", out); break;
      case '\r': fputs ("\\r", out); break;
      case '\t': fputs ("\\t", out); break;
      default:
        if (*p < 0x20)
          fprintf (out, "\\u%04x", *p);
        else
          fputc (*p, out);
    }
  }
  fputc ('"', out);
}

/* CSV field quoted only when it has to be (RFC 4180). */
static void
put_csv_field (FILE *out, const gchar *text)
{
  if (strpbrk (text, ",\"\r\n") == NULL) {
    fputs (text, out);
    return;
  }
  fputc ('"', out);
  for (const gchar *p = text; *p; p++) {
    if (*p == '"')
      fputc ('"', out);
    fputc (*p, out);
  }
  fputc ('"', out);
}

void
mc_report_header (McReport *r)
{
  if (r->format == MC_FORMAT_JSON)
    return;
  if (r->format == MC_FORMAT_CSV) {
    fputs (r->mode == MC_MODE_EVENTS ? "file,start,end,label,confidence\n"
        : "file,label,confidence,top_k\n", r->out);
    return;
  }
  put_padded (r->out, "FILE", r->file_width);
  if (r->mode == MC_MODE_EVENTS) {
    fprintf (r->out, "  %9s  %9s  ", "START", "END");
    put_padded (r->out, "LABEL", r->label_width);
    fprintf (r->out, "  %10s\n", "CONFIDENCE");
  } else {
    fputs ("  ", r->out);
    put_padded (r->out, "LABEL", r->label_width);
    fprintf (r->out, "  %10s  %s\n", "CONFIDENCE", "TOP-K");
  }
}

static void
events_table (McReport *r, const McJob *job)
{
  for (guint i = 0; i < job->detections->len; i++) {
    const McDetection *d = &g_array_index (job->detections, McDetection, i);
    put_padded (r->out, job->display, r->file_width);
    fprintf (r->out, "  %9.3f  %9.3f  ", seconds (d->start), seconds (d->end));
    put_padded (r->out, d->label, r->label_width);
    fprintf (r->out, "  %10.3f\n", d->confidence);
  }
}

static void
events_csv (McReport *r, const McJob *job)
{
  for (guint i = 0; i < job->detections->len; i++) {
    const McDetection *d = &g_array_index (job->detections, McDetection, i);
    put_csv_field (r->out, job->display);
    fprintf (r->out, ",%.3f,%.3f,", seconds (d->start), seconds (d->end));
    put_csv_field (r->out, d->label);
    fprintf (r->out, ",%.4f\n", d->confidence);
  }
}

static void
json_common (McReport *r, const McJob *job)
{
  fputs ("{\"file\": ", r->out);
  put_json_string (r->out, job->display);
  fputs (", \"uri\": ", r->out);
  put_json_string (r->out, job->uri);
  if (r->result_file)
    fprintf (r->out, ", \"index\": %u", job->index);
  if (job->error != NULL) {
    fputs (", \"error\": ", r->out);
    put_json_string (r->out, job->error);
    return;
  }
  fprintf (r->out, ", \"duration\": %.3f", seconds (job->duration));
}

static void
events_json (McReport *r, const McJob *job)
{
  json_common (r, job);
  if (job->error != NULL) {
    fputs ("}\n", r->out);
    return;
  }
  fputs (", \"detections\": [", r->out);
  for (guint i = 0; i < job->detections->len; i++) {
    const McDetection *d = &g_array_index (job->detections, McDetection, i);
    fputs (i ? ", {\"label\": " : "{\"label\": ", r->out);
    put_json_string (r->out, d->label);
    fprintf (r->out, ", \"class_index\": %d, \"confidence\": %.6f, \"start\": %.3f, \"end\": %.3f, "
        "\"time\": %.3f}", d->class_index, d->confidence, seconds (d->start), seconds (d->end),
        seconds (d->time));
  }
  fputs ("]}\n", r->out);
}

static void
clip_table (McReport *r, const McJob *job)
{
  put_padded (r->out, job->display, r->file_width);
  fputs ("  ", r->out);
  put_padded (r->out, job->have_summary ? job->clip_label : "-", r->label_width);
  if (job->have_summary)
    fprintf (r->out, "  %10.3f  ", job->clip_confidence);
  else
    fprintf (r->out, "  %10s  ", "-");
  for (guint i = 0; i < job->clip_top_k->len; i++) {
    const McScore *s = &g_array_index (job->clip_top_k, McScore, i);
    fprintf (r->out, "%s%s %.3f", i ? ", " : "", s->label, s->score);
  }
  fputc ('\n', r->out);
}

static void
clip_csv (McReport *r, const McJob *job)
{
  put_csv_field (r->out, job->display);
  fputc (',', r->out);
  if (job->have_summary) {
    put_csv_field (r->out, job->clip_label);
    fprintf (r->out, ",%.4f,", job->clip_confidence);
  } else {
    fputs (",,", r->out);
  }
  GString *top = g_string_new (NULL);
  for (guint i = 0; i < job->clip_top_k->len; i++) {
    const McScore *s = &g_array_index (job->clip_top_k, McScore, i);
    g_string_append_printf (top, "%s%s:%.4f", i ? ";" : "", s->label, s->score);
  }
  put_csv_field (r->out, top->str);
  g_string_free (top, TRUE);
  fputc ('\n', r->out);
}

static void
clip_json (McReport *r, const McJob *job)
{
  json_common (r, job);
  if (job->error != NULL) {
    fputs ("}\n", r->out);
    return;
  }
  fputs (", \"label\": ", r->out);
  put_json_string (r->out, job->have_summary ? job->clip_label : NULL);
  if (job->have_summary)
    fprintf (r->out, ", \"confidence\": %.6f", job->clip_confidence);
  else
    fputs (", \"confidence\": null", r->out);
  fputs (", \"top_k\": [", r->out);
  for (guint i = 0; i < job->clip_top_k->len; i++) {
    const McScore *s = &g_array_index (job->clip_top_k, McScore, i);
    fputs (i ? ", {\"label\": " : "{\"label\": ", r->out);
    put_json_string (r->out, s->label);
    fprintf (r->out, ", \"score\": %.6f}", s->score);
  }
  fputs ("]}\n", r->out);
}

void
mc_report_job (McReport *r, const McJob *job)
{
  if (job->error != NULL)
    return;
  static void (*const print[2][3]) (McReport *, const McJob *) = {
    [MC_MODE_EVENTS] = { events_table, events_json, events_csv },
    [MC_MODE_CLIP] = { clip_table, clip_json, clip_csv },
  };
  print[r->mode][r->format] (r, job);
  fflush (r->out);
}

gchar *
mc_report_result_json (McMode mode, const McJob *job)
{
  gchar *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream (&text, &size);
  McReport r = { .mode = mode, .format = MC_FORMAT_JSON, .out = out, .result_file = TRUE };
  (mode == MC_MODE_EVENTS ? events_json : clip_json) (&r, job);
  fclose (out);
  return text;
}
