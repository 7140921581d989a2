"""The reviewer console (server-rendered, Jinja2 templates, vendored ECharts; Chinese and English)."""

from __future__ import annotations


def mount_console(api) -> None:
    from qinglang.entrypoints.web.routes import install

    install(api)
