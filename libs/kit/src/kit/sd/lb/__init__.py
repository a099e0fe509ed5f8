"""Load balancing: balancers that choose an instance's endpoint per call, and `retry` across instances."""

from kit.sd.lb.balancer import Balancer, NoEndpoints
from kit.sd.lb.random import Random
from kit.sd.lb.retry import Callback, RetryError, retry
from kit.sd.lb.round_robin import RoundRobin

__all__ = ["Balancer", "Callback", "NoEndpoints", "Random", "RetryError", "RoundRobin", "retry"]
