"""Service discovery: instancers follow the instances of a service, endpointers turn them into endpoints."""

from kit.sd.instancer import Broadcaster, Event, FixedInstancer, Instancer, Listener

__all__ = ["Broadcaster", "Event", "FixedInstancer", "Instancer", "Listener"]
