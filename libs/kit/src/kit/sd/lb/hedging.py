"""Running one call with hedging (see `kit.sd.lb.Hedge` for when to hedge): attempts overlap, the first answer wins,
and every attempt after the first, hedge or retry, is taken from the plan's budget."""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

from kit.endpoint import Req, Resp
from kit.errors import is_failure
from kit.sd.lb.attempts import Call, RetryError
from kit.sd.lb.hedge import Hedge

if TYPE_CHECKING:
    from kit.sd.lb.retry import Plan


def _retrieve(task: asyncio.Task[Any]) -> None:
    # A losing attempt is cancelled and never awaited: fetch its outcome so asyncio does not log it as lost.
    if not task.cancelled():
        task.exception()


async def hedged(call: Call[Req, Resp], hedge: Hedge, plan: Plan[Req, Resp]) -> Resp:
    """Runs `call` with hedging: when no attempt has answered after `hedge.delay()`, the next attempt starts beside
    the first (on another instance) and the first answer wins, the others being cancelled; a failure is retried at
    once while `plan` allows. Raises as `retry` says."""
    loop = call.loop
    running: dict[asyncio.Task[Resp], float] = {}  # attempt -> when it started
    stopped = False  # the callback said no more attempts

    def more() -> bool:
        return len(call.tried) < plan.max_attempts and not stopped

    def may_retry() -> bool:
        return more() and plan.may_add()

    def launch() -> None:
        chosen = call.pick(plan.balancer)
        if len(call.tried) > 1 and plan.on_retry is not None:
            plan.on_retry()
        attempts_left = plan.max_attempts - len(call.tried) + 1
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
                if not plan.keep_trying(len(call.errors), error):
                    stopped, hedge_at = True, math.inf
                    if not running:
                        raise RetryError(call.errors, instances=call.tried) from error
            if loop.time() >= call.ends_at:
                raise call.deadline()
            if done and not running:
                # Every attempt so far failed: retry at once, if allowed (a hedge the budget refused earlier
                # does not forbid it: the budget may have room again).
                if not more() or not plan.add_attempt():
                    why = "" if not more() else "retry budget spent"
                    raise RetryError(call.errors, instances=call.tried, why=why) from call.errors[-1]
                launch()
                hedge_at = loop.time() + hedge.delay()
            elif not done and loop.time() >= hedge_at:
                # No answer yet: hedge on another instance, if allowed (the caller is not too busy, the budget).
                if more() and hedge.allowed() and plan.add_attempt():
                    if plan.on_hedge is not None:
                        plan.on_hedge()
                    launch()
                    hedge_at = loop.time() + hedge.delay()
                else:
                    hedge_at = math.inf
    finally:
        for task in running:
            task.cancel()


__all__ = ["hedged"]
