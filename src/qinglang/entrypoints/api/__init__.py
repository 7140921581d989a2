"""The HTTP API (FastAPI): `create_app(app)`; routers per resource in routers/, roles in auth.py."""

from qinglang.entrypoints.api.app import create_app

__all__ = ["create_app"]
