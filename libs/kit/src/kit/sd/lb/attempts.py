"""One call through `retry`: its attempts on distinct instances, each within its share of the call's time budget,
and what each met, as the error the caller gets when none answered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic

from kit.endpoint import Req, Resp, request_id, request_scope
from kit.errors import DeadlineExceeded, Unavailable
from kit.sd.endpointer import InstanceEndpoint
from kit.sd.lb.balancer import Balancer, NoEndpoints

RETURN_BACKOFF = 0.01
"""Seconds an attempt waits per earlier attempt of the same call on the same instance (at most half its share)."""


def _cause(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _describe(errors: Sequence[BaseException], instances: Sequence[str]) -> str:
    """One line naming every attempt, its instance and what it met; an attempt without an error is still running."""
    parts = []
    for number, instance in enumerate(instances, start=1):
        outcome = _cause(errors[number - 1]) if number <= len(errors) else "no answer yet"
        parts.append(f"#{number} {instance}: {outcome}")
    for number in range(len(instances) + 1, len(errors) + 1):
        parts.append(f"#{number}: {_cause(errors[number - 1])}")
    return "; ".join(parts) if parts else "no attempt made"


class RetryError(Unavailable):
    """Every attempt failed (or the callback or the budget stopped the retries); `attempts` holds each attempt's
    error in order."""

    reason = "no instance answered"

    attempts: tuple[BaseException, ...]
    instances: tuple[str, ...]

    def __init__(self, attempts: Sequence[BaseException], *, instances: Sequence[str] = (), why: str = "") -> None:
        self.attempts = tuple(attempts)
        self.instances = tuple(instances)
        plural = "" if len(self.attempts) == 1 else "s"
        what = _describe(self.attempts, self.instances)
        super().__init__(f"{why or 'retries spent'} after {len(self.attempts)} attempt{plural}: {what}")


class Call(Generic[Req, Resp]):
    """One call through `retry`: its attempts, their instances and errors, and its time budget."""

    __slots__ = ("ends_at", "errors", "loop", "request", "total", "tried")

    def __init__(self, request: Req, total: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.request = request
        self.total = total
        self.ends_at = self.loop.time() + total
        self.errors: list[BaseException] = []
        self.tried: list[str] = []

    def pick(self, balancer: Balancer[Req, Resp]) -> InstanceEndpoint[Req, Resp]:
        try:
            chosen = balancer.pick(exclude=frozenset(self.tried))
        except NoEndpoints as exc:
            if not self.errors:
                raise
            message = f"no endpoints available after {_describe(self.errors, self.tried)}"
            raise NoEndpoints(message, discovery_error=exc.discovery_error) from exc
        self.tried.append(chosen.instance)
        return chosen

    def window(self, attempts_left: int, last: bool) -> tuple[float, float]:
        """This attempt's end and share: an even share of what is left, or all of it for the last attempt, so one
        hung instance cannot use up the whole budget before another is tried."""
        now = self.loop.time()
        share = (self.ends_at - now) / attempts_left
        return (self.ends_at if last else now + share), share

    async def attempt(
        self,
        chosen: InstanceEndpoint[Req, Resp],
        ends_at: float,
        share: float,
        last: bool,
        *,
        retry_possible: Callable[[], bool] = lambda: True,
    ) -> Resp:
        """One attempt. Unless it is the last, it is cut short when its share ends (`ends_at`), so one hung instance
        cannot use up the whole budget before another is tried; but only if `retry_possible()` says then that
        another attempt may follow (the retry budget may have run out meanwhile): otherwise the attempt under way
        keeps the whole of the call's time, as cutting it would only fail the call sooner. The instance is given
        the call's deadline, and hears of a cut as a cancellation. Going back to an instance this call already
        tried (there is no other) waits a little first, growing with each return, so a busy lone instance is not
        hammered."""
        scope = asyncio.timeout_at(self.ends_at)
        cut = False

        def share_over() -> None:
            nonlocal cut
            if retry_possible():
                cut = True
                scope.reschedule(self.loop.time())

        timer = None if last else self.loop.call_at(ends_at, share_over)
        returns = self.tried.count(chosen.instance) - 1
        try:
            async with scope:
                if returns > 0:
                    await asyncio.sleep(min(RETURN_BACKOFF * returns, share / 2))
                with request_scope(request_id=request_id(), timeout=self.ends_at - self.loop.time()):
                    return await chosen.endpoint(self.request)
        except TimeoutError as exc:
            if not scope.expired():
                raise
            if not cut:
                raise self.deadline() from (self.errors[-1] if self.errors else exc)
            raise DeadlineExceeded(f"no answer within {share:.3g} s, this attempt's share") from None
        finally:
            if timer is not None:
                timer.cancel()

    def deadline(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"deadline exceeded after {self.total:.3g} s: {_describe(self.errors, self.tried)}")


__all__ = ["RETURN_BACKOFF", "Call", "RetryError"]
