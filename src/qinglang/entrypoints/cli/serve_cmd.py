"""`qinglang serve [--host] [--port]`: the HTTP API under /api/ and the console under /console/."""

from __future__ import annotations

from typing import Annotated

import typer

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, err, get_app


def serve_cmd(host: Annotated[str, typer.Option("--host", help="Interface to listen on (0.0.0.0 for all).")] = "127.0.0.1",
              port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8080,
              workers: Annotated[int, typer.Option("--workers", help="Worker processes (each loads the registry and screener).")] = 1,
              log_level: Annotated[str, typer.Option("--log-level", help="critical, error, warning, info or debug.")] = "info",
              access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request.")] = True,
              home: HomeOpt = None, db: DbOpt = None) -> None:
    """Serve the API (OpenAPI at /openapi.json, docs at /docs), Prometheus metrics at /metrics and the console."""
    import uvicorn

    from qinglang.errors import QinglangError

    if not 1 <= port <= 65535:
        raise QinglangError("--port must be between 1 and 65535")
    if workers < 1:
        raise QinglangError("--workers must be at least 1")
    app = get_app(home, db)
    app.store  # noqa: B018 - open and migrate the store now, so a bad --db fails here with exit 2
    err.print(f"qinglang serving {app.workspace.home} on http://{host}:{port}/ "
              f"(API /api/, docs /docs, console /console/, metrics /metrics). 服务已启动。", markup=False)
    if workers == 1:
        from qinglang.entrypoints.api import create_app

        uvicorn.run(create_app(app), host=host, port=port, log_level=log_level, access_log=access_log)
        return
    import os

    os.environ["QINGLANG_HOME"] = str(app.workspace.home)
    if db:
        os.environ["QINGLANG_DB"] = db
    uvicorn.run("qinglang.entrypoints.api.factory:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=access_log)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
