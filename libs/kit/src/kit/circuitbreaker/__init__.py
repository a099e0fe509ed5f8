"""Circuit breaking: a breaker state machine and the endpoint middleware that puts an endpoint behind it."""

from kit.circuitbreaker.breaker import Breaker, State
from kit.circuitbreaker.middleware import circuit_breaker

__all__ = ["Breaker", "State", "circuit_breaker"]
