"""Retry: one endpoint that tries a call on up to `max_attempts` distinct instances within one time budget.

Better than go-kit's `lb.Retry` in the ways that matter under load: a retry never goes back to an instance that
already failed this request while another one is available (with a shared round-robin counter, go-kit's attempts
can all land on the same dead instance), business errors are never retried, and the error says what each attempt
met.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from kit.endpoint import AnyEndpoint, remaining, request_id, request_scope
from kit.errors import DeadlineExceeded, Unavailable, is_failure
from kit.sd.lb.balancer import Balancer, NoEndpoints

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
    """Every attempt failed (or the callback stopped the retries); `attempts` holds each attempt's error in order."""

    reason = "no instance answered"

    attempts: tuple[BaseException, ...]
    instances: tuple[str, ...]

    def __init__(self, attempts: Sequence[BaseException], *, instances: Sequence[str] = ()) -> None:
        self.attempts = tuple(attempts)
        self.instances = tuple(instances)
        plural = "" if len(self.attempts) == 1 else "s"
        what = _describe(self.attempts, self.instances)
        super().__init__(f"retries spent after {len(self.attempts)} attempt{plural}: {what}")


def _always(attempt: int, error: BaseException) -> bool:
    return True


def retry(
    max_attempts: int,
    timeout: float,
    balancer: Balancer,
    *,
    callback: Callback | None = None,
    on_retry: Callable[[], None] | None = None,
) -> AnyEndpoint:
    """An endpoint that calls the balancer's endpoints until one answers, `max_attempts` at most, each attempt on an
    instance this call has not tried yet while there is one.

    `timeout` bounds the whole call, all attempts together, and so does the request's own deadline when it is
    sooner. Each attempt but the last gets an even share of what is left of that budget (with 3 attempts and
    500 ms, a hung instance costs at most about 167 ms before the next instance is tried), and runs with the request
    deadline narrowed to its share, so client transports pass it on and the instance stops work nobody waits for.
    When the budget runs out the call raises DeadlineExceeded naming the attempts so far. Errors that are not
    failures (`kit.errors.is_failure`) are raised at once; NoEndpoints from the balancer ends the call as it is;
    spent attempts raise RetryError. `callback(attempt, error)` hears every failure and may stop the retries;
    `on_retry()` is called for every attempt after the first (for `kit_retries_total`).
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, not {timeout}")
    keep_trying = _always if callback is None else callback

    async def attempt_all(request: Any, errors: list[BaseException], tried: list[str], budget: float) -> Any:
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + budget
        for attempt in range(1, max_attempts + 1):
            try:
                chosen = balancer.pick(exclude=frozenset(tried))
            except NoEndpoints as exc:
                if not errors:
                    raise
                message = f"no endpoints available after {_describe(errors, tried)}"
                raise NoEndpoints(message, discovery_error=exc.discovery_error) from exc
            if attempt > 1 and on_retry is not None:
                on_retry()
            tried.append(chosen.instance)
            attempts_left = max_attempts - attempt + 1
            # A hung instance must not eat the whole budget: each attempt but the last gets an even share of what is
            # left, so a retry still has time to reach another instance; the last one has all that is left. One
            # timer and one scope per attempt: the budget's end is the last attempt's end.
            now = loop.time()
            last = attempts_left == 1
            share = (ends_at - now) / attempts_left
            attempt_scope = asyncio.timeout_at(ends_at if last else now + share)
            try:
                async with attempt_scope:
                    with request_scope(request_id=request_id(), timeout=share):
                        return await chosen.endpoint(request)
            except Exception as exc:
                error: Exception = exc
                if isinstance(exc, TimeoutError) and attempt_scope.expired():
                    if last:
                        spent = f"deadline exceeded after {budget:.3g} s: {_describe(errors, tried)}"
                        raise DeadlineExceeded(spent) from (errors[-1] if errors else exc)
                    error = DeadlineExceeded(f"no answer within {share:.3g} s, this attempt's share")
                if not is_failure(error):
                    raise
                errors.append(error)
                if not keep_trying(attempt, error):
                    break
        raise RetryError(errors, instances=tried) from errors[-1]

    async def retrying(request: Any) -> Any:
        left = remaining()
        budget = timeout if left is None else min(timeout, left)
        if budget <= 0:
            raise DeadlineExceeded("deadline exceeded before the first attempt")
        return await attempt_all(request, [], [], budget)

    return retrying
