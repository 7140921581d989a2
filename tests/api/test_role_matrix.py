"""Every endpoint × every role: allowed or refused (403) as designed; no token is 401 everywhere but /api/health."""

from __future__ import annotations

import re

import pytest

from tests.api.platform_support import ROLES, bearer

ALL = set(ROLES)
WORKERS = ALL - {"auditor"}
REVIEWERS = {"reviewer", "senior_reviewer", "admin"}
SENIOR = {"senior_reviewer", "admin"}
AUDIT = {"senior_reviewer", "admin", "auditor"}
REPORT = {"analyst", "senior_reviewer", "admin", "auditor"}
ADMIN = {"admin"}

#: (method, path) -> roles allowed. A new endpoint fails the test until it is listed here (and in docs/api.md).
EXPECTED: dict[tuple[str, str], set[str] | None] = {
    ("GET", "/api/health"): None,  # public
    ("GET", "/api/me"): ALL,
    ("GET", "/metrics"): ALL,
    ("GET", "/api/stats"): ALL,
    ("POST", "/api/realtime/registration-check"): WORKERS,
    ("POST", "/api/realtime/rename-check"): WORKERS,
    ("POST", "/api/realtime/screen"): WORKERS,
    ("GET", "/api/cases"): ALL,
    ("GET", "/api/cases/queue"): ALL,
    ("GET", "/api/cases/{case_id}"): ALL,
    ("GET", "/api/cases/{case_id}/evidence"): ALL,
    ("POST", "/api/cases"): WORKERS,
    ("POST", "/api/cases/claim-next"): REVIEWERS,
    ("POST", "/api/cases/{case_id}/claim"): REVIEWERS,
    ("POST", "/api/cases/{case_id}/release"): REVIEWERS,
    ("POST", "/api/cases/{case_id}/decide"): REVIEWERS,
    ("POST", "/api/cases/{case_id}/notes"): WORKERS,
    ("POST", "/api/cases/{case_id}/reassign"): SENIOR,
    ("GET", "/api/appeals"): ALL,
    ("GET", "/api/appeals/{appeal_id}"): ALL,
    ("POST", "/api/appeals"): WORKERS,
    ("POST", "/api/appeals/claim-next"): SENIOR,
    ("POST", "/api/appeals/{appeal_id}/claim"): SENIOR,
    ("POST", "/api/appeals/{appeal_id}/decide"): SENIOR,
    ("POST", "/api/complaints"): WORKERS,
    ("GET", "/api/complaints"): ALL,
    ("GET", "/api/complaints/{complaint_id}"): ALL,
    ("POST", "/api/complaints/{complaint_id}/handle"): REVIEWERS,
    ("GET", "/api/accounts/{account_id}"): ALL,
    ("GET", "/api/accounts/{account_id}/standing"): ALL,
    ("GET", "/api/accounts/{account_id}/audience"): ALL,
    ("GET", "/api/findings"): ALL,
    ("GET", "/api/sanctions"): ALL,
    ("GET", "/api/sanctions/{sanction_id}"): ALL,
    ("GET", "/api/guidance"): ALL,
    ("POST", "/api/guidance"): REVIEWERS,
    ("GET", "/api/audit"): AUDIT,
    ("GET", "/api/audit/verify"): AUDIT,
    ("GET", "/api/reports/regulator"): REPORT,
    ("GET", "/api/reports/regulator/{fmt}"): REPORT,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("GET", "/api/users/{name}"): ADMIN,
    ("POST", "/api/users/{name}/tokens"): ADMIN,
    ("POST", "/api/users/{name}/revoke"): ADMIN,
    ("POST", "/api/users/{name}/role"): ADMIN,
    ("POST", "/api/users/{name}/disable"): ADMIN,
    ("POST", "/api/outbox/pull"): ADMIN,
    ("POST", "/api/outbox/ack"): ADMIN,
}

PARAMS = {"case_id": "999999", "appeal_id": "999999", "complaint_id": "999999", "sanction_id": "999999",
          "account_id": "no-such-account", "name": "no-such-user", "fmt": "csv"}


def _routes(api) -> list[tuple[str, str]]:
    """Every operation of the published schema (what clients can call)."""
    return [(m.upper(), path) for path, ops in api.openapi()["paths"].items() for m in ops]


def _call(client, method: str, path: str, headers: dict[str, str]):
    url = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)
    if method == "GET":
        return client.get(url, headers=headers)
    # an empty JSON object: allowed roles get past the permission check and fail validation (422)
    # or find nothing (404); nothing is changed
    return client.post(url, headers=headers, json={})


def test_every_endpoint_is_in_the_matrix(client):
    routes = set(_routes(client.api))
    assert routes == set(EXPECTED), {"not in the matrix": routes - set(EXPECTED), "gone": set(EXPECTED) - routes}


def test_every_endpoint_times_every_role(client, tokens):
    failures = []
    for method, path in sorted(EXPECTED):
        allowed = EXPECTED[(method, path)]
        for role in ROLES:
            r = _call(client, method, path, bearer(tokens[role]))
            assert r.status_code < 500, (method, path, role, r.status_code, r.text[:300])
            refused = r.status_code == 403
            if allowed is None or role in allowed:
                if refused or r.status_code == 401:
                    failures.append(f"{method} {path}: {role} refused ({r.status_code} {r.text[:120]})")
            elif not refused:
                failures.append(f"{method} {path}: {role} NOT refused ({r.status_code})")
    assert not failures, "\n".join(failures)


def test_no_token_or_a_bad_token_is_401_everywhere_but_health(client):
    for method, path in sorted(EXPECTED):
        for headers in ({}, bearer("ql_not-a-real-token"), {"Authorization": "Basic dXNlcjpwYXNz"}):
            r = _call(client, method, path, headers)
            if EXPECTED[(method, path)] is None:
                assert r.status_code == 200, (path, r.status_code)
            else:
                assert r.status_code == 401, (method, path, headers, r.status_code)
                assert r.headers.get("www-authenticate") == "Bearer"


def test_a_refusal_names_the_permission_and_who_holds_it(client, tokens):
    r = client.get("/api/audit", headers=bearer(tokens["analyst"]))
    assert r.status_code == 403
    assert "audit.read" in r.json()["detail"] and "auditor" in r.json()["detail"]


@pytest.mark.parametrize("role", ROLES)
def test_me_lists_exactly_the_permissions_of_the_role(client, tokens, role):
    from qinglang.entrypoints.api.auth import PERMISSIONS

    me = client.get("/api/me", headers=bearer(tokens[role])).json()
    assert me["role"] == role
    assert set(me["permissions"]) == {p for p, roles in PERMISSIONS.items() if role in roles}
    if role == "auditor":  # read-only: no permission that changes anything
        assert set(me["permissions"]) == {"read", "metrics", "audit.read", "report"}
