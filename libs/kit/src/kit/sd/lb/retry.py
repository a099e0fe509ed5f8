"""Retry: one endpoint that tries a call on up to `max_attempts` distinct instances within one time budget.

Better than go-kit's `lb.Retry` in the ways that matter under load: a retry never goes back to an instance that
already failed this request while another one is available (with a shared round-robin counter, go-kit's attempts
can all land on the same dead instance), business errors are never retried, retries and hedges come out of a
budget shared by every call (`kit.sd.lb.Budget`), so they cannot multiply the load on a struggling target, and the
error says what each attempt met.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeAlias

from kit.endpoint import Endpoint, Req, Resp, remaining, request_id, request_scope
from kit.errors import DeadlineExceeded, Unavailable, is_failure
from kit.sd.endpointer import InstanceEndpoint
from kit.sd.lb.balancer import Balancer, NoEndpoints
from kit.sd.lb.budget import Budget
from kit.sd.lb.hedge import Hedge

RETURN_BACKOFF = 0.01
"""Seconds an attempt waits per earlier attempt of the same call on the same instance (at most half its share)."""

Callback: TypeAlias = Callable[[int, BaseException], bool]
"""Hears each failed attempt (its number, from 1, and its error) and answers whether to keep trying."""


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


def _always(attempt: int, error: BaseException) -> bool:
    return True


def _retrieve(task: asyncio.Task[Any]) -> None:
    # A losing attempt is cancelled and never awaited: fetch its outcome so asyncio does not log it as lost.
    if not task.cancelled():
        task.exception()


class _Call(Generic[Req, Resp]):
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

    async def attempt(self, chosen: InstanceEndpoint[Req, Resp], ends_at: float, share: float, last: bool) -> Resp:
        """One attempt, with the request deadline narrowed to its share, so client transports pass it on and the
        instance stops work nobody waits for. Going back to an instance this call already tried (there is no other)
        waits a little first, growing with each return, so a busy lone instance is not hammered."""
        scope = asyncio.timeout_at(ends_at)
        returns = self.tried.count(chosen.instance) - 1
        try:
            async with scope:
                if returns > 0:
                    await asyncio.sleep(min(RETURN_BACKOFF * returns, share / 2))
                with request_scope(request_id=request_id(), timeout=ends_at - self.loop.time()):
                    return await chosen.endpoint(self.request)
        except TimeoutError as exc:
            if not scope.expired():
                raise
            if last:
                raise self.deadline() from (self.errors[-1] if self.errors else exc)
            raise DeadlineExceeded(f"no answer within {share:.3g} s, this attempt's share") from None

    def deadline(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"deadline exceeded after {self.total:.3g} s: {_describe(self.errors, self.tried)}")


def retry(
    max_attempts: int,
    timeout: float,
    balancer: Balancer[Req, Resp],
    *,
    budget: Budget | None = None,
    hedge: Hedge | None = None,
    callback: Callback | None = None,
    on_retry: Callable[[], None] | None = None,
    on_hedge: Callable[[], None] | None = None,
) -> Endpoint[Req, Resp]:
    """An endpoint that calls the balancer's endpoints until one answers, `max_attempts` at most, each attempt on an
    instance this call has not tried yet while there is one.

    `timeout` bounds the whole call, all attempts together, and so does the request's own deadline when it is
    sooner. Each attempt but the last gets an even share of what is left of that budget (with 3 attempts and
    500 ms, a hung instance costs at most about 167 ms before the next instance is tried). When the budget runs
    out the call raises DeadlineExceeded naming the attempts so far. Errors that are not failures
    (`kit.errors.is_failure`) are raised at once; NoEndpoints from the balancer ends the call as it is; spent
    attempts raise RetryError. `callback(attempt, error)` hears every failure and may stop the retries.

    `budget`: every attempt after the first is taken from it; when it has none left, the attempt under way is the
    last and gets all the time that is left. `hedge`: for idempotent calls only; when no attempt has answered after
    `hedge.delay()`, the next attempt starts beside the first (another instance) and the first answer wins, the
    others being cancelled. `on_retry()` is called for every attempt after the first, hedges included
    (`kit_retries_total`), and `on_hedge()` for every hedge.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, not {timeout}")
    keep_trying = _always if callback is None else callback

    def may_add() -> bool:
        return budget is None or budget.available()

    def add_attempt() -> bool:
        return budget is None or budget.spend()

    async def sequential(call: _Call[Req, Resp]) -> Resp:
        why = ""
        for number in range(1, max_attempts + 1):
            chosen = call.pick(balancer)
            if number > 1 and on_retry is not None:
                on_retry()
            attempts_left = max_attempts - number + 1
            last = attempts_left == 1 or not may_add()
            ends_at, share = call.window(attempts_left, last)
            try:
                return await call.attempt(chosen, ends_at, share, last)
            except Exception as exc:
                if not is_failure(exc) or (isinstance(exc, DeadlineExceeded) and last):
                    raise
                call.errors.append(exc)
                if not keep_trying(number, exc):
                    break
                if number < max_attempts and not add_attempt():
                    why = "retry budget spent"
                    break
        raise RetryError(call.errors, instances=call.tried, why=why) from call.errors[-1]

    async def hedged(call: _Call[Req, Resp], hedge: Hedge) -> Resp:
        loop = call.loop
        running: dict[asyncio.Task[Resp], float] = {}  # attempt -> when it started

        def launch() -> None:
            chosen = call.pick(balancer)
            if len(call.tried) > 1 and on_retry is not None:
                on_retry()
            attempts_left = max_attempts - len(call.tried) + 1
            last = attempts_left == 1 or not may_add()
            ends_at, share = call.window(attempts_left, last)
            task = loop.create_task(call.attempt(chosen, ends_at, share, last))
            task.add_done_callback(_retrieve)
            running[task] = loop.time()

        launch()
        hedge_at = loop.time() + hedge.delay()
        try:
            while True:
                wake = min(hedge_at, call.ends_at) - loop.time()
                done, _ = await asyncio.wait(running, timeout=max(0.0, wake), return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    started = running.pop(task)
                    error = task.exception()
                    if error is None:
                        hedge.observe(loop.time() - started)
                        return task.result()
                    if not is_failure(error):
                        raise error
                    call.errors.append(error)
                    if not keep_trying(len(call.errors), error):
                        hedge_at = math.inf
                        if not running:
                            raise RetryError(call.errors, instances=call.tried) from error
                if loop.time() >= call.ends_at:
                    raise call.deadline()
                more = len(call.tried) < max_attempts and math.isfinite(hedge_at)
                if done and not running:
                    # Every attempt so far failed: retry at once, if allowed.
                    if not more or not add_attempt():
                        why = "" if not more else "retry budget spent"
                        raise RetryError(call.errors, instances=call.tried, why=why) from call.errors[-1]
                    launch()
                    hedge_at = loop.time() + hedge.delay()
                elif not done and loop.time() >= hedge_at:
                    # No answer yet: hedge on another instance, if allowed.
                    if more and add_attempt():
                        if on_hedge is not None:
                            on_hedge()
                        launch()
                        hedge_at = loop.time() + hedge.delay()
                    else:
                        hedge_at = math.inf
        finally:
            for task in running:
                task.cancel()

    async def retrying(request: Req) -> Resp:
        left = remaining()
        total = timeout if left is None else min(timeout, left)
        if total <= 0:
            raise DeadlineExceeded("deadline exceeded before the first attempt")
        if budget is not None:
            budget.call()
        call: _Call[Req, Resp] = _Call(request, total)
        if hedge is None:
            return await sequential(call)
        return await hedged(call, hedge)

    return retrying


__all__ = ["RETURN_BACKOFF", "Callback", "RetryError", "retry"]
