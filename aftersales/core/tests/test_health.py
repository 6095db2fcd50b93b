from huey import RedisHuey
from huey.contrib.djhuey import HUEY


def test_healthz_reports_database_and_queue(client, db) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_healthz_is_503_naming_the_failing_part(client, db, monkeypatch) -> None:
    # A real queue backend that cannot be reached: Redis on a closed local port.
    unreachable = RedisHuey("down", url="redis://127.0.0.1:1/0")
    monkeypatch.setattr(HUEY, "storage", unreachable.storage)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "queue": "error"}
