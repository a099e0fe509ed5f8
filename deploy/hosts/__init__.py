"""Several hosts on one machine: a Consul cluster, add, two trims and Prometheus, each on a host of its own (a
network namespace), and the faults that only several hosts show (a host cut off, a slow lossy link, a lost
Consul leader, a stopped local agent).

`python -m deploy.hosts up|down|ps|faults` (what `make hosts-up`, `make hosts-down` and `make hosts-faults`
call); the tests in tests/hosts/ use the same `Bed`. Needs root (namespaces, `nsenter`) and iproute2.
"""

from .bed import Bed, BedError

__all__ = ["Bed", "BedError"]
