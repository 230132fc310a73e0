"""Markdown pieces shared by the report writers (make_report.py, report_real.py)."""


def fmt(v, unit="", nd=2):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{nd}f}{unit}"
    return f"{v}{unit}"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join("n/a" if c is None else str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)
