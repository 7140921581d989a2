"""Rendering the regulator report (services/reports.py) as CSV, XLSX, HTML or PDF.

CSV: the rows exactly (columns in docs/reports.md), UTF-8, for machines.
XLSX: sheets Summary 摘要 (headline and trends), Figures 数据 (the rows), Typical cases 典型案例,
Overturned 已撤销处置. HTML: one self-contained bilingual page (inline CSS, no scripts).
PDF: the same HTML laid out by WeasyPrint (no browser); it needs a Chinese font installed
(Debian: fonts-noto-cjk or fonts-wqy-microhei) and says so when there is none.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from qinglang.errors import QinglangError
from qinglang.services import reports as R

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}

TREND_KEYS = ["accounts_sanctioned", "head_accounts_closed_or_suspended", "sanctions", "reversed", "appeals_upheld",
              "appeals_overturned", "complaints_received", "complaints_handled", "guidance_actions",
              "fake_followers_removed", "registrations_blocked", "prior_sanctions"]
TREND_LABELS = dict(R.COLUMN_LABELS, accounts_sanctioned=("被处置账号数", "accounts sanctioned"),
                    head_accounts_closed_or_suspended=("关闭及暂停更新的头部账号", "head accounts closed or suspended"))


def to_csv(report: dict[str, Any]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=R.COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in report["rows"]:
        w.writerow({c: r[c] for c in R.COLUMNS})
    return buf.getvalue().encode("utf-8")


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE7F5")
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary 摘要"
    ws.append([f"{report['title']['zh']} / {report['title']['en']}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"统计时段 Period: {report['from_local']} – {report['to_local']} ({report['timezone']}, end exclusive)"])
    ws.append([f"上期 Previous: {report['previous']['from_local']} – {report['from_local']}"])
    ws.append([])
    ws.append(["指标 Metric", "本期 Current", "上期 Previous", "变化 Change", "变化率 Change %"])
    for cell in ws[5]:
        cell.font = bold
        cell.fill = head_fill
    for k in TREND_KEYS:
        t = report["trend"].get(k)
        if t is None:
            continue
        zh, en = TREND_LABELS.get(k, (k, k))
        ws.append([f"{zh} {en}", t["current"], t["previous"], t["change"], t["change_pct"]])
    ws.append([])
    ws.append([f"审计链头 Audit chain head: #{report['audit_head']['seq']} {report['audit_head']['hash']}"])
    ws.column_dimensions["A"].width = 48
    for col in "BCDE":
        ws.column_dimensions[col].width = 14

    fig = wb.create_sheet("Figures 数据")
    fig.append(R.COLUMNS)
    fig.append([f"{R.COLUMN_LABELS[c][0]}" for c in R.COLUMNS])
    for row in fig.iter_rows(min_row=1, max_row=2):
        for cell in row:
            cell.font = bold
            cell.fill = head_fill
    for r in report["rows"]:
        fig.append([r[c] for c in R.COLUMNS])
    tot = report["totals"]
    fig.append(["合计 total", "", "", ""] + [tot.get(c, "") if c in R.SUMMABLE else "" for c in R.COUNT_COLUMNS])
    for cell in fig[fig.max_row]:
        cell.font = bold
    fig.freeze_panes = "E3"
    for i, c in enumerate(R.COLUMNS, 1):
        fig.column_dimensions[fig.cell(row=1, column=i).column_letter].width = max(10, min(26, len(c) + 2))

    tc = wb.create_sheet("Typical cases 典型案例")
    cols = ["case_id", "sanction_id", "account_id", "nickname", "tier", "category", "sanction_zh", "sanction_en",
            "decided_at", "decided_by", "second_reviewer", "evidence_zh", "evidence_en", "reason"]
    tc.append(cols)
    for cell in tc[1]:
        cell.font = bold
        cell.fill = head_fill
    for c in report["typical_cases"]:
        tc.append([c.get(k) if not isinstance(c.get(k), (list, dict)) else str(c.get(k)) for k in cols])
    for row in tc.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    ov = wb.create_sheet("Overturned 已撤销处置")
    ocols = ["sanction_id", "case_id", "account_id", "category", "tier", "action", "decided_at", "decided_by",
             "reversed_at", "reversed_by", "reversal_reason", "appeal_id"]
    ov.append(ocols)
    for cell in ov[1]:
        cell.font = bold
        cell.fill = head_fill
    for o in report["overturned"]:
        ov.append([o.get(k) for k in ocols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("qinglang.services", "report_templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(label=R.label, category_label=R.category_label, COLUMN_LABELS=R.COLUMN_LABELS,
                       TREND_LABELS=TREND_LABELS, TREND_KEYS=TREND_KEYS)
    return env


def to_html(report: dict[str, Any], for_pdf: bool = False) -> str:
    cols = R.COLUMNS
    return _env().get_template("report.html.j2").render(r=report, cols=cols, for_pdf=for_pdf)


def chinese_font_available() -> bool:
    if shutil.which("fc-list") is None:
        return False
    try:
        res = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(res.stdout.strip())


def to_pdf(report: dict[str, Any]) -> bytes:
    if not chinese_font_available():
        raise QinglangError("no Chinese font is installed, so the PDF would show empty boxes: install one "
                            "(Debian/Ubuntu: apt-get install fonts-noto-cjk or fonts-wqy-microhei) or use --format html")
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:
        raise QinglangError(f"PDF output needs WeasyPrint and its system libraries (Pango): {e}") from None
    return HTML(string=to_html(report, for_pdf=True)).write_pdf()


def render(report: dict[str, Any], fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(report)
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report)
    raise QinglangError(f"--format must be one of {', '.join(R.FORMATS)}, not {fmt!r}")


def write_atomic(data: bytes, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
