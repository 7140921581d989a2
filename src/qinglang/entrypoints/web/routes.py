"""The console's pages under /console/ (server-rendered; forms post and redirect; no build step).

Sign-in takes an API token and keeps it in an HttpOnly, SameSite=Strict cookie; every form
carries a CSRF token derived from it. Each page and action checks the same permissions as
the API (entrypoints/api/auth.py) and acts through the same services, with the signed-in
user as the actor in the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from qinglang.entrypoints.api.auth import PERMISSIONS, Forbidden, allowed, check
from qinglang.entrypoints.api.redact import redact
from qinglang.entrypoints.web import i18n
from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services.users import AuthError, Principal, authenticate

HERE = Path(__file__).parent
COOKIE = "ql_token"
LANG_COOKIE = "ql_lang"
PREFIX = "/console"


class LoginRequired(Exception):
    pass


class CsrfError(Exception):
    pass


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_safe"] = _script_json
    env.filters["pretty"] = lambda o: json.dumps(o, ensure_ascii=False, indent=1, default=str)
    env.filters["dt"] = _fmt_time
    env.filters["pct"] = lambda x: "—" if x is None else f"{100 * float(x):.1f}%"
    return env


def _script_json(obj: Any) -> Markup:
    """JSON for a <script type="application/json"> block: markup characters escaped as \\uXXXX, so it is inert HTML."""
    text = json.dumps(obj, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _fmt_time(value: Any, with_time: bool = True) -> str:
    if not value:
        return "—"
    try:
        d = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    from zoneinfo import ZoneInfo

    local = d.astimezone(ZoneInfo("Asia/Shanghai"))
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


ENV = _env()


def csrf_for(token: str) -> str:
    return hmac.new(hashlib.sha256(token.encode()).digest(), b"qinglang-console-csrf", hashlib.sha256).hexdigest()[:40]


class Console:
    def __init__(self, api: FastAPI):
        self.api = api

    @property
    def rt(self):
        return self.api.state.runtime

    # --- request context ---------------------------------------------------------------------
    def lang(self, request: Request) -> str:
        return i18n.pick_lang(request.cookies.get(LANG_COOKIE), request.query_params.get("lang"),
                              request.headers.get("accept-language"), self.rt.app.settings.lang)

    def principal(self, request: Request) -> Principal:
        token = request.cookies.get(COOKIE)
        if not token:
            raise LoginRequired()
        try:
            return authenticate(self.rt.store, token)
        except AuthError:
            raise LoginRequired() from None

    async def form(self, request: Request) -> dict[str, str]:
        form = await request.form()
        data = {k: str(v) for k, v in form.items()}
        token = request.cookies.get(COOKIE) or ""
        if not token or not hmac.compare_digest(data.get("csrf", ""), csrf_for(token)):
            raise CsrfError("the form expired or came from elsewhere (CSRF check failed); reload the page and try again")
        return data

    def render(self, request: Request, template: str, status_code: int = 200, **ctx) -> HTMLResponse:
        lang = self.lang(request)
        who: Principal | None = ctx.pop("who", None)
        token = request.cookies.get(COOKIE) or ""

        def can(permission: str) -> bool:
            return who is not None and allowed(who.role, permission)

        def url(path: str, **params) -> str:
            q = {k: v for k, v in params.items() if v not in (None, "", False)}
            return PREFIX + path + (("?" + urlencode(q, doseq=True)) if q else "")

        html = ENV.get_template(template).render(
            request=request, lang=lang, t=lambda k: i18n.t(k, lang), v=lambda kind, x: i18n.v(kind, x, lang),
            who=who, can=can, csrf=csrf_for(token) if token else "", url=url, prefix=PREFIX,
            ok=request.query_params.get("ok"), err=request.query_params.get("err"), **ctx)
        resp = HTMLResponse(html, status_code=status_code)
        if request.query_params.get("lang") in i18n.LANGS:
            resp.set_cookie(LANG_COOKIE, request.query_params["lang"], max_age=365 * 86400, samesite="lax")
        return resp

    def back(self, path: str, ok: str | None = None, err: str | None = None) -> RedirectResponse:
        q = {}
        if ok:
            q["ok"] = ok
        if err:
            q["err"] = err
        return RedirectResponse(PREFIX + path + (("?" + urlencode(q)) if q else ""), status_code=303)


def install(api: FastAPI) -> None:
    c = Console(api)
    api.mount(PREFIX + "/static", StaticFiles(directory=str(HERE / "static")), name="console-static")

    def page(path: str, permission: str, methods=("GET",)):
        """A console route: signs in, checks the permission, runs the handler off the event loop, maps errors."""
        def deco(fn: Callable):
            async def endpoint(request: Request):
                try:
                    who = c.principal(request)
                    check(who, permission)
                    form = await c.form(request) if request.method == "POST" else None
                    args = (request, who, form) if request.method == "POST" else (request, who)
                    return await run_in_threadpool(fn, *args, **request.path_params)
                except LoginRequired:
                    nxt = request.url.path + (("?" + request.url.query) if request.url.query else "")
                    return RedirectResponse(f"{PREFIX}/login?next={quote(nxt)}", status_code=303)
                except Forbidden as e:
                    return c.render(request, "error.html", status_code=403, who=e.principal,
                                    title=i18n.t("forbidden", c.lang(request)), message=str(e))
                except CsrfError as e:
                    return c.render(request, "error.html", status_code=403, who=c.principal(request),
                                    title=i18n.t("forbidden", c.lang(request)), message=str(e))
                except NotFound as e:
                    return c.render(request, "error.html", status_code=404, who=c.principal(request),
                                    title=i18n.t("not_found", c.lang(request)), message=str(e))
                except (Conflict, QinglangError) as e:
                    if request.method == "POST":
                        ref = request.headers.get("referer") or ""
                        path_ = request.url.path
                        if ref and PREFIX in ref:
                            path_ = ref.split(PREFIX, 1)[1].split("?", 1)[0]
                            return c.back(path_, err=str(e))
                        return c.back(path_.removeprefix(PREFIX), err=str(e))
                    key = "conflict" if isinstance(e, Conflict) else "bad_input"
                    return c.render(request, "error.html", status_code=409 if isinstance(e, Conflict) else 400,
                                    who=c.principal(request), title=i18n.t(key, c.lang(request)), message=str(e))

            endpoint.__name__ = f"console_{fn.__name__}"
            api.add_api_route(PREFIX + path, endpoint, methods=list(methods), include_in_schema=False,
                              response_class=HTMLResponse)
            return fn
        return deco

    from qinglang.entrypoints.web import views

    views.register(c, page)

    @api.get(PREFIX + "/login", include_in_schema=False, response_class=HTMLResponse)
    async def login_form(request: Request):
        return c.render(request, "login.html", next=request.query_params.get("next") or PREFIX + "/")

    @api.post(PREFIX + "/login", include_in_schema=False, response_class=HTMLResponse)
    async def login(request: Request):
        form = await request.form()
        token = str(form.get("token") or "").strip()
        nxt = str(form.get("next") or PREFIX + "/")
        if not nxt.startswith(PREFIX + "/"):
            nxt = PREFIX + "/"
        try:
            await run_in_threadpool(authenticate, c.rt.store, token)
        except AuthError as e:
            return c.render(request, "login.html", status_code=401, next=nxt, error=str(e))
        resp = RedirectResponse(nxt, status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path="/", max_age=12 * 3600)
        return resp

    @api.post(PREFIX + "/logout", include_in_schema=False)
    async def logout(request: Request):
        resp = RedirectResponse(PREFIX + "/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @api.get("/", include_in_schema=False)
    async def root():
        return RedirectResponse(PREFIX + "/", status_code=307)

    @api.get(PREFIX, include_in_schema=False)
    async def console_root():
        return RedirectResponse(PREFIX + "/", status_code=307)


__all__ = ["install", "PERMISSIONS", "redact", "Response"]
