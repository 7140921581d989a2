"""In headless Debian chromium: sign in, claim a case from the queue with the keyboard, decide it with the keyboard,
and see the dashboard change; charts draw; both languages render. Skips without chromium or playwright."""

from __future__ import annotations

import re


def _metric(page, name: str) -> int:
    return int(page.locator(f'[data-metric="{name}"]').inner_text().strip())


def _sign_in(page, base: str, token: str) -> None:
    page.goto(base + "/console/")
    assert "/console/login" in page.url
    page.fill("input[name=token]", token)
    page.click("#login-button")
    page.wait_for_url(base + "/console/")


def test_sign_in_claim_decide_and_see_the_dashboard_change(browser, live_server, tokens):
    page = browser.new_page(locale="zh-CN")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live_server, tokens["reviewer"])
    assert page.locator("#whoami").inner_text().startswith("reviewer")
    before = {k: _metric(page, k) for k in ("open", "claimed", "resolved", "mine")}
    page.wait_for_selector('#chart-by-category[data-rendered="1"]')
    assert page.locator("#chart-by-category svg").count() == 1

    page.click("text=审核队列")
    page.wait_for_selector("#queue-table")
    page.keyboard.press("j")  # keyboard navigation selects the first row
    assert page.locator("tr.selected").count() == 1
    page.keyboard.press("n")  # claim the next case
    page.wait_for_url(re.compile(r".*/console/cases/\d+\?ok=claimed_ok"))
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))
    assert page.locator("#decide-form").count() == 1

    page.keyboard.press("1")  # 1 = dismiss; focus moves to the reason
    assert page.locator('input[name="action"][value="dismiss"]').is_checked()
    page.keyboard.type("经核查不构成违规")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(rf".*/console/cases/{case_id}\?ok=decided_ok"))
    assert page.locator("#decided").count() == 1

    page.goto(live_server + "/console/")
    after = {k: _metric(page, k) for k in ("open", "claimed", "resolved", "mine")}
    assert after["resolved"] == before["resolved"] + 1
    assert after["open"] + after["claimed"] == before["open"] + before["claimed"] - 1
    assert after["mine"] == before["mine"]
    assert not errors, errors


def test_evidence_charts_draw_and_both_languages_render(browser, live_server, tokens, platform_app):
    with platform_app.store.read() as uow:
        ids = {}
        for c in uow.cases.list():
            ids.setdefault(c.category, c.case_id)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live_server, tokens["auditor"])
    page.goto(f"{live_server}/console/cases/{ids['fake_fans']}?lang=en")
    page.wait_for_selector('[data-chart="growth"][data-rendered="1"]')
    assert page.locator('[data-chart][data-rendered="1"]').count() >= 3  # growth, histogram, scatter
    assert page.locator("h2", has_text="Audience audit").count() == 1
    assert page.locator("nav a", has_text="Dashboard").count() == 1
    page.goto(f"{live_server}/console/cases/{ids['reincarnation']}?lang=zh")
    page.wait_for_selector('[data-chart="waterfall"][data-rendered="1"]')
    assert page.locator("h2", has_text="转世账号比对").count() >= 1
    assert page.locator(".bits span").count() >= 64  # both avatars' hash bits drawn
    assert page.locator("nav a", has_text="工作台").count() == 1
    content = next(v for k, v in ids.items() if k not in ("fake_fans", "reincarnation"))
    page.goto(f"{live_server}/console/cases/{content}")
    marks = page.locator(".post mark")
    if page.locator("#evidence-content").count():
        assert marks.count() >= 1
        post = page.locator(".post").first.inner_text()
        assert marks.first.inner_text() in post
    page.goto(f"{live_server}/console/audit")
    assert page.locator('#chain-status[data-ok="1"]').count() == 1
    assert not errors, errors
