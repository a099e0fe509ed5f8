import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter

from kit.transport.http import add_health_route, add_metrics_route, new_app


async def get(app: FastAPI, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.get(path, headers=headers)


async def test_health_follows_is_serving_on_every_call() -> None:
    serving = [False]
    app = new_app(title="t", version="1")
    add_health_route(app, lambda: serving[0])

    starting = await get(app, "/health")
    serving[0] = True
    up = await get(app, "/health")
    serving[0] = False
    draining = await get(app, "/health")

    assert (starting.status_code, starting.json()) == (503, {"status": "not serving"})
    assert (up.status_code, up.json()) == (200, {"status": "serving"})
    assert (draining.status_code, draining.json()) == (503, {"status": "not serving"})


async def test_metrics_expose_the_given_registry_in_text_format() -> None:
    registry = CollectorRegistry()
    Counter("kit_requests_total", "Requests.", ["method"], registry=registry).labels(method="sum").inc(3)
    app = new_app(title="t", version="1")
    add_metrics_route(app, registry)

    response = await get(app, "/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'kit_requests_total{method="sum"} 3.0' in response.text


async def test_metrics_speak_openmetrics_when_asked() -> None:
    registry = CollectorRegistry()
    Counter("jobs", "Jobs.", registry=registry).inc()
    app = new_app(title="t", version="1")
    add_metrics_route(app, registry)

    response = await get(app, "/metrics", {"accept": "application/openmetrics-text; version=1.0.0"})

    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    assert "jobs_total 1.0" in response.text
