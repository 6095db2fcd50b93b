"""A database that is restarting answers 503 with Retry-After; any other crash stays a 500."""

import json

import pytest
from django.db import OperationalError

from aftersales.core.unavailable import server_error


def _answer(request, exc):
    try:
        raise exc
    except Exception:
        return server_error(request)


def test_database_down_under_the_api_is_a_json_503(rf):
    response = _answer(
        rf.get("/api/v1/orders"), OperationalError("the database system is shutting down")
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert json.loads(response.content)["code"] == "unavailable"


def test_database_down_on_a_page_is_a_503_page(rf):
    request = rf.get("/orders/")
    try:
        try:
            raise OperationalError("connection refused")
        except OperationalError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 503
    assert "Retry-After" in response


@pytest.mark.django_db
def test_other_errors_stay_500(rf):
    response = _answer(rf.get("/orders/"), ValueError("bug"))
    assert response.status_code == 500
