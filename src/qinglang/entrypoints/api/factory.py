"""An app factory for process managers (uvicorn --factory, gunicorn): workspace from $QINGLANG_HOME / $QINGLANG_DB.

    uvicorn --factory qinglang.entrypoints.api.factory:app_from_env --workers 4
"""

from __future__ import annotations


def app_from_env():
    from qinglang.entrypoints.api import create_app

    return create_app()
