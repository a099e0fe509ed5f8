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
from collections.abc import Callable
from typing import Any, TypeAlias

from kit.endpoint import Endpoint, Req, Resp, remaining
from kit.errors import DeadlineExceeded, is_failure
from kit.sd.lb.attempts import Call, RetryError
from kit.sd.lb.balancer import Balancer
from kit.sd.lb.budget import Budget
from kit.sd.lb.hedge import Hedge

Callback: TypeAlias = Callable[[int, BaseException], bool]
"""Hears each failed attempt (its number, from 1, and its error) and answers whether to keep trying."""


def _always(attempt: int, error: BaseException) -> bool:
    return True


def _retrieve(task: asyncio.Task[Any]) -> None:
    # A losing attempt is cancelled and never awaited: fetch its outcome so asyncio does not log it as lost.
    if not task.cancelled():
        task.exception()


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

    `budget`: every attempt after the first is taken from it. An attempt's share is cut only if, when it ends,
    another attempt may follow (attempts left, room in the budget); otherwise the attempt under way keeps all the
    time that is left, since cutting it would only fail the call sooner. `hedge`: for idempotent calls only; when
    no attempt has answered after `hedge.delay()`, the next attempt starts beside the first (another instance) and
    the first answer wins, the others being cancelled. `on_retry()` is called for every attempt after the first,
    hedges included (`kit_retries_total`), and `on_hedge()` for every hedge.
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

    async def sequential(call: Call[Req, Resp]) -> Resp:
        why = ""
        for number in range(1, max_attempts + 1):
            chosen = call.pick(balancer)
            if number > 1 and on_retry is not None:
                on_retry()
            attempts_left = max_attempts - number + 1
            last = attempts_left == 1  # a share is cut only if a retry may then follow (see Call.attempt)
            ends_at, share = call.window(attempts_left, last)
            try:
                return await call.attempt(chosen, ends_at, share, last, retry_possible=may_add)
            except Exception as exc:
                if not is_failure(exc) or (isinstance(exc, DeadlineExceeded) and call.loop.time() >= call.ends_at):
                    raise
                call.errors.append(exc)
                if not keep_trying(number, exc):
                    break
                if number < max_attempts and not add_attempt():
                    why = "retry budget spent"
                    break
        raise RetryError(call.errors, instances=call.tried, why=why) from call.errors[-1]

    async def hedged(call: Call[Req, Resp], hedge: Hedge) -> Resp:
        loop = call.loop
        running: dict[asyncio.Task[Resp], float] = {}  # attempt -> when it started
        stopped = False  # the callback said no more attempts

        def more() -> bool:
            return len(call.tried) < max_attempts and not stopped

        def may_retry() -> bool:
            return more() and may_add()

        def launch() -> None:
            chosen = call.pick(balancer)
            if len(call.tried) > 1 and on_retry is not None:
                on_retry()
            attempts_left = max_attempts - len(call.tried) + 1
            last = attempts_left == 1  # a share is cut only if a retry may then follow (see Call.attempt)
            ends_at, share = call.window(attempts_left, last)
            task = loop.create_task(call.attempt(chosen, ends_at, share, last, retry_possible=may_retry))
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
                        stopped, hedge_at = True, math.inf
                        if not running:
                            raise RetryError(call.errors, instances=call.tried) from error
                if loop.time() >= call.ends_at:
                    raise call.deadline()
                if done and not running:
                    # Every attempt so far failed: retry at once, if allowed (a hedge the budget refused earlier
                    # does not forbid it: the budget may have room again).
                    if not more() or not add_attempt():
                        why = "" if not more() else "retry budget spent"
                        raise RetryError(call.errors, instances=call.tried, why=why) from call.errors[-1]
                    launch()
                    hedge_at = loop.time() + hedge.delay()
                elif not done and loop.time() >= hedge_at:
                    # No answer yet: hedge on another instance, if allowed.
                    if more() and add_attempt():
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
        call: Call[Req, Resp] = Call(request, total)
        if hedge is None:
            return await sequential(call)
        return await hedged(call, hedge)

    return retrying


__all__ = ["Callback", "RetryError", "retry"]
