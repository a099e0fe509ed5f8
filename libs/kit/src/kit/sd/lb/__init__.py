"""Load balancing: balancers that choose an instance's endpoint per call, outlier detection that steers them away
from failing and slow instances, and `retry` across instances with a budget and hedging."""

from kit.sd.lb.balancer import Balancer, NoEndpoints
from kit.sd.lb.budget import Budget
from kit.sd.lb.choose import choose
from kit.sd.lb.hedge import Hedge
from kit.sd.lb.outliers import BreakerSettings, Outliers
from kit.sd.lb.policy import Policy
from kit.sd.lb.random import Random
from kit.sd.lb.retry import Callback, RetryError, retry
from kit.sd.lb.round_robin import RoundRobin

__all__ = [
    "Balancer",
    "BreakerSettings",
    "Budget",
    "Callback",
    "Hedge",
    "NoEndpoints",
    "Outliers",
    "Policy",
    "Random",
    "RetryError",
    "RoundRobin",
    "choose",
    "retry",
]
