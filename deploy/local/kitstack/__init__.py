"""The launcher of the whole stack (Consul, Prometheus, add, trims): as local processes, or with Docker Compose.

Run it with the project's Python: `.venv/bin/python deploy/local/stack.py up|down|ps|logs` (what `make up`,
`make down`, `make ps` and `make logs` call). Standard library only.
"""

from .cli import main
from .local import Options, StackError, down, logs, ps, up
from .ports import Port, PortError, Ports
from .state import Proc, RunDir, State

__all__ = [
    "Options",
    "Port",
    "PortError",
    "Ports",
    "Proc",
    "RunDir",
    "StackError",
    "State",
    "down",
    "logs",
    "main",
    "ps",
    "up",
]
