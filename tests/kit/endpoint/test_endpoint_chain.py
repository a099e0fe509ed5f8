from __future__ import annotations

from kit.endpoint import Endpoint, Middleware, chain


def annotate(tag: str, calls: list[str]) -> Middleware[str, str]:
    def wrap(next_: Endpoint[str, str]) -> Endpoint[str, str]:
        async def endpoint(request: str) -> str:
            calls.append(f"{tag} in")
            response = await next_(f"{request}>{tag}")
            calls.append(f"{tag} out")
            return f"{response}<{tag}"

        return endpoint

    return wrap


async def echo(request: str) -> str:
    return request


async def test_first_middleware_is_outermost() -> None:
    calls: list[str] = []
    endpoint = chain(annotate("a", calls), annotate("b", calls), annotate("c", calls))(echo)
    assert await endpoint("req") == "req>a>b>c<c<b<a"
    assert calls == ["a in", "b in", "c in", "c out", "b out", "a out"]


async def test_chain_of_one_is_that_middleware() -> None:
    calls: list[str] = []
    assert await chain(annotate("only", calls))(echo)("x") == "x>only<only"
