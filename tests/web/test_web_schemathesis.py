"""Schemathesis against the API's own OpenAPI schema: for generated requests (signed in as the
administrator) no answer is a server error, and every answer matches the schema (status, content
type, body). Each operation of the schema is driven through its Hypothesis strategy."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from web_support import make_app, session_cookie


def test_no_server_errors_and_answers_match_the_schema(site):
    app = make_app(site)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    token = session_cookie(site, user="admin")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 16
    # Ending the token's session (DELETE /api/v1/token) goes last: every operation before it runs signed in.
    operations.sort(key=lambda o: (o.method.upper(), o.path) == ("DELETE", "/api/v1/token"))
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
        def run(case):  # noqa: ANN001, ANN202
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            # A schema-valid request may still be refused on meaning (a cursor this API never made, a reference
            # whose check symbol is wrong): that is a 4xx with its problem, which the checks below still inspect.
            case.validate_response(response, excluded_checks=[checks.positive_data_acceptance])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert not failures, "\n\n".join(failures)
