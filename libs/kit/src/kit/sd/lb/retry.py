"""Retry: one endpoint that tries a call on up to `max_attempts` distinct instances within one time budget.

Better than go-kit's `lb.Retry` in the ways that matter under load: a retry never goes back to an instance that
already failed this request while another one is available (with a shared round-robin counter, go-kit's attempts
can all land on the same dead instance), business errors are never retried, retries and hedges come out of a
budget shared by every call (`kit.sd.lb.Budget`), so they cannot multiply the load on a struggling target, and the
error says what each attempt met.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeAlias

from kit.endpoint import Endpoint, Req, Resp, remaining
from kit.errors import DeadlineExceeded, is_failure
from kit.sd.lb.attempts import Call, RetryError
from kit.sd.lb.balancer import Balancer
from kit.sd.lb.budget import Budget
from kit.sd.lb.hedge import Hedge
from kit.sd.lb.hedging import hedged

Callback: TypeAlias = Callable[[int, BaseException], bool]
"""Hears each failed attempt (its number, from 1, and its error) and answers whether to keep trying."""


def _always(attempt: int, error: BaseException) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Plan(Generic[Req, Resp]):
    """What `retry` allows every call of one endpoint: the balancer, the attempts, the callback, the budget and
    the counters to tell of each retry and hedge."""

    balancer: Balancer[Req, Resp]
    max_attempts: int
    keep_trying: Callback
    budget: Budget | None
    on_retry: Callable[[], None] | None
    on_hedge: Callable[[], None] | None

    def may_add(self) -> bool:
        """Whether the budget would allow one more attempt now (without spending it)."""
        return self.budget is None or self.budget.available()

    def add_attempt(self) -> bool:
        """Takes one more attempt from the budget; False when it is spent."""
        return self.budget is None or self.budget.spend()


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
    plan = Plan(balancer, max_attempts, _always if callback is None else callback, budget, on_retry, on_hedge)

    async def retrying(request: Req) -> Resp:
        left = remaining()
        total = timeout if left is None else min(timeout, left)
        if total <= 0:
            raise DeadlineExceeded("deadline exceeded before the first attempt")
        if budget is not None:
            budget.call()
        call: Call[Req, Resp] = Call(request, total)
        if hedge is None:
            return await sequential(call, plan)
        return await hedged(call, hedge, plan)

    return retrying


async def sequential(call: Call[Req, Resp], plan: Plan[Req, Resp]) -> Resp:
    """Runs `call` one attempt after another, each on an instance it has not tried while there is one."""
    why = ""
    for number in range(1, plan.max_attempts + 1):
        chosen = call.pick(plan.balancer)
        if number > 1 and plan.on_retry is not None:
            plan.on_retry()
        attempts_left = plan.max_attempts - number + 1
        last = attempts_left == 1  # a share is cut only if a retry may then follow (see Call.attempt)
        ends_at, share = call.window(attempts_left, last)
        try:
            return await call.attempt(chosen, ends_at, share, last, retry_possible=plan.may_add)
        except Exception as exc:
            if not is_failure(exc) or (isinstance(exc, DeadlineExceeded) and call.loop.time() >= call.ends_at):
                raise
            call.errors.append(exc)
            if not plan.keep_trying(number, exc):
                break
            if number < plan.max_attempts and not plan.add_attempt():
                why = "retry budget spent"
                break
    raise RetryError(call.errors, instances=call.tried, why=why) from call.errors[-1]


__all__ = ["Callback", "RetryError", "retry"]
