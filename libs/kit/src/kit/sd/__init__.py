"""Service discovery: instancers follow the instances of a service, endpointers turn them into endpoints."""

from kit.sd.broadcaster import Broadcaster
from kit.sd.cache import DefaultEndpointer
from kit.sd.endpointer import Endpointer, FixedEndpointer, InstanceEndpoint
from kit.sd.factory import Closer, Factory
from kit.sd.instancer import Event, FixedInstancer, Instancer, Listener

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
