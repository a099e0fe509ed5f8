"""Circuit breaking: a breaker state machine and the endpoint middleware that puts an endpoint behind it."""

from kit.circuitbreaker.breaker import Breaker, State
from kit.circuitbreaker.judges import Judge, answered, instance_failure, unreachable
from kit.circuitbreaker.middleware import circuit_breaker

__all__ = ["Breaker", "Judge", "State", "answered", "circuit_breaker", "instance_failure", "unreachable"]
