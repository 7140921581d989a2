"""Regulator reports (csv, xlsx, html, pdf) and the figures behind them (JSON)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from qinglang.entrypoints.api.auth import require
from qinglang.entrypoints.api.deps import ERRORS, qapp
from qinglang.entrypoints.api.schemas import Open
from qinglang.services.users import Principal

router = APIRouter(prefix="/api/reports", tags=["reports"], responses=ERRORS)
Reporter = Annotated[Principal, Depends(require("report"))]
ISO = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
From = Annotated[str, Query(alias="from", max_length=40, pattern=ISO,
                            description="Start: ISO date or time (e.g. 2025-01-01); without an offset, Beijing time.")]
To = Annotated[str, Query(max_length=40, pattern=ISO, description="End, exclusive (e.g. 2025-04-01).")]
Period = Literal["day", "week", "month", "quarter", "year"]


def _bounds(from_: str, to: str):
    from qinglang.services.governance import parse_time

    return parse_time(from_, "from"), parse_time(to, "to")


@router.get("/regulator", response_model=Open, summary="The regulator report as data (JSON)",
            description="Rows per (period, category, action, tier) with totals, trends against the previous period, "
                        "typical cases and overturned sanctions; periods in Asia/Shanghai time, `to` exclusive.")
def regulator(request: Request, who: Reporter, from_: From, to: To,
              period: Period = "month", typical: Annotated[int, Query(ge=0, le=100)] = 10) -> dict:
    from qinglang.services.reports import regulator_report_for

    since, until = _bounds(from_, to)
    return regulator_report_for(qapp(request), since, until, period, typical=typical)


@router.get("/regulator/{fmt}", summary="The regulator report as a file: csv, xlsx, html or pdf",
            responses={200: {"content": {"text/csv": {}, "text/html": {}, "application/pdf": {},
                                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
                             "description": "The report file."}})
def regulator_file(fmt: Literal["csv", "xlsx", "html", "pdf"], request: Request, who: Reporter,
                   from_: From, to: To, period: Period = "month",
                   typical: Annotated[int, Query(ge=0, le=100)] = 10) -> Response:
    from qinglang.services.report_render import MEDIA_TYPES, render
    from qinglang.services.reports import regulator_report_for

    since, until = _bounds(from_, to)
    rep = regulator_report_for(qapp(request), since, until, period, typical=typical)
    data = render(rep, fmt)
    name = f"qinglang-report-{rep['from_local'][:10]}-{rep['to_local'][:10]}.{fmt}"
    return Response(data, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
