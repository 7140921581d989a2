"""The API's routers, one per resource."""

from qinglang.entrypoints.api.routers import (accounts, appeals, audit, cases, complaints, meta, realtime, reports,
                                              sanctions, users)

ROUTERS = [meta.router, realtime.router, cases.router, appeals.router, complaints.router, accounts.router,
           sanctions.router, audit.router, reports.router, users.router]
