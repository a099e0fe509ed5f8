"""Service discovery: instancers follow the instances of a service, endpointers turn them into endpoints."""

from kit.sd.endpointer import (
    Closer,
    DefaultEndpointer,
    Endpointer,
    Factory,
    FixedEndpointer,
    InstanceEndpoint,
)
from kit.sd.instancer import Broadcaster, Event, FixedInstancer, Instancer, Listener

__all__ = [
    "Broadcaster",
    "Closer",
    "DefaultEndpointer",
    "Endpointer",
    "Event",
    "Factory",
    "FixedEndpointer",
    "FixedInstancer",
    "InstanceEndpoint",
    "Instancer",
    "Listener",
]
