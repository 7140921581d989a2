"""Console pages render in Chinese and English for every role that may see them; forms act through the services
with the signed-in user as actor; CSRF, sign-in and permissions are enforced."""

from __future__ import annotations

import re

import pytest

from qinglang.entrypoints.web import i18n
from tests.web.conftest import signed_in

NAV = {"zh": ["工作台", "审核队列", "申诉"], "en": ["Dashboard", "Review queue", "Appeals"]}


def _case_ids(app) -> dict[str, int]:
    with app.store.read() as uow:
        out = {}
        for c in uow.cases.list():
            out.setdefault(c.category, c.case_id)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_in_both_languages(console_api, platform_app, tokens, lang):
    c = signed_in(console_api, tokens["admin"])
    ids = _case_ids(platform_app)
    pages = ["/console/", "/console/queue", "/console/appeals", "/console/audit", "/console/users",
             "/console/reports?from=2020-01-01&to=2027-01-01&period=year"]
    pages += [f"/console/cases/{ids[k]}" for k in ("fake_fans", "reincarnation") if k in ids]
    content = next(v for k, v in ids.items() if k not in ("fake_fans", "reincarnation"))
    pages += [f"/console/cases/{content}"]
    with platform_app.store.read() as uow:
        head = uow.cases.list(tier="head")[0].account_id
    pages += [f"/console/accounts/{head}?audience=1"]
    other = "en" if lang == "zh" else "zh"
    for p in pages:
        r = c.get(p + ("&" if "?" in p else "?") + f"lang={lang}")
        assert r.status_code == 200, (p, r.status_code, r.text[:300])
        html = r.text
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}"' in html
        for word in NAV[lang]:
            assert word in html, (p, word)
        for word in NAV[other][1:]:
            assert f">{word}<" not in html, (p, word)
    # the language sticks (cookie) once chosen
    assert "Review queue" in c.get("/console/queue").text if lang == "en" else "审核队列" in c.get("/console/queue").text


def test_the_two_languages_have_the_same_words():
    for key, pair in i18n.WORDS.items():
        assert len(pair) == 2 and all(x.strip() for x in pair), key


def test_not_signed_in_goes_to_login_and_a_bad_token_is_refused(console_api):
    from fastapi.testclient import TestClient

    c = TestClient(console_api, follow_redirects=False)
    r = c.get("/console/queue?category=rumor")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=/console/queue")
    r = c.post("/console/login", data={"token": "ql_wrong", "next": "/console/"})
    assert r.status_code == 401 and "unknown API token" in r.text
    assert c.get("/").headers["location"] == "/console/"


def test_pages_and_actions_follow_the_roles(console_api, tokens, platform_app):
    rv = signed_in(console_api, tokens["reviewer"])
    assert rv.get("/console/audit").status_code == 403
    assert rv.get("/console/users").status_code == 403
    assert rv.get("/console/reports").status_code == 403
    au = signed_in(console_api, tokens["auditor"])
    assert au.get("/console/audit").status_code == 200
    page = au.get("/console/queue").text
    assert "claim-next" not in page  # no claim button for a read-only auditor
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', au.get("/console/queue").text)
    cid = next(iter(_case_ids(platform_app).values()))
    token = csrf.group(1) if csrf else ""
    r = au.post(f"/console/cases/{cid}/claim", data={"csrf": token})
    assert r.status_code == 403


def test_forms_need_the_csrf_token(console_api, tokens, platform_app):
    rv = signed_in(console_api, tokens["reviewer"])
    cid = next(iter(_case_ids(platform_app).values()))
    r = rv.post(f"/console/cases/{cid}/claim", data={})
    assert r.status_code == 403 and "CSRF" in r.text
    r = rv.post(f"/console/cases/{cid}/claim", data={"csrf": "0" * 40})
    assert r.status_code == 403


def test_claim_and_decide_through_the_console_forms(console_api, tokens, platform_app):
    rv = signed_in(console_api, tokens["reviewer"])
    queue = rv.get("/console/queue").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', queue).group(1)
    r = rv.post("/console/queue/claim-next", data={"csrf": csrf})
    assert r.status_code == 303 and "/console/cases/" in r.headers["location"]
    cid = int(re.search(r"/console/cases/(\d+)", r.headers["location"]).group(1))
    page = rv.get(f"/console/cases/{cid}").text
    assert 'id="decide-form"' in page
    r = rv.post(f"/console/cases/{cid}/decide", data={"csrf": csrf, "action": "dismiss", "reason": "证据不足，不予处置"})
    assert r.status_code == 303 and "decided_ok" in r.headers["location"]
    with platform_app.store.read() as uow:
        case = uow.cases.get(cid)
        hist = uow.audit_log.entity_history("case", str(cid))
    assert case.status == "resolved" and case.outcome == "dismissed" and case.decided_by == "reviewer"
    assert [e["actor"] for e in hist if e["action"] in ("case.claimed", "case.decided")] == ["reviewer", "reviewer"]
    # a refused transition comes back to the page with the reason
    r = rv.post(f"/console/cases/{cid}/decide", data={"csrf": csrf, "action": "dismiss", "reason": "again"},
                headers={"referer": f"http://testserver/console/cases/{cid}"})
    assert r.status_code == 303 and "already+resolved" in r.headers["location"]


def test_audit_viewer_shows_the_chain_status_and_pages(console_api, tokens):
    au = signed_in(console_api, tokens["auditor"])
    html = au.get("/console/audit").text
    assert 'id="chain-status" data-ok="1"' in html
    seqs = [int(x) for x in re.findall(r"<tr><td>(\d+)</td>", html)]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == 100
    older = re.search(r'href="(/console/audit\?before=\d+)"', html).group(1)
    seqs2 = [int(x) for x in re.findall(r"<tr><td>(\d+)</td>", au.get(older).text)]
    assert seqs2 and max(seqs2) < min(seqs)


def test_report_downloads_from_the_console(console_api, tokens):
    an = signed_in(console_api, tokens["analyst"])
    r = an.get("/console/reports/download/csv?from=2020-01-01&to=2027-01-01&period=year")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("period,category,action,tier,accounts,sanctions")
    assert 'attachment; filename="qinglang-report-2020-01-01-2027-01-01.csv"' == r.headers["content-disposition"]
