"""The listeners and the last state of an instancer whose set changes over time (go-kit's internal instance cache):
a listener registering gets the last state at once, an event that repeats it is not sent, and after an error the
last known instances are kept."""

from __future__ import annotations

from kit.sd.instancer import Event, Listener


class Broadcaster:
    """Keeps the last event and the listeners of an instancer; instancers that change over time build on it."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._state = Event()

    @property
    def state(self) -> Event:
        """The last event sent."""
        return self._state

    def register(self, listener: Listener) -> None:
        self._listeners.append(listener)
        listener(self._state)

    def deregister(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def clear(self) -> None:
        self._listeners.clear()

    def update(self, event: Event) -> None:
        """Sends `event` to every listener unless it repeats the last state. After an error, the last known
        instances are kept in the state, so a listener registering later still gets them."""
        if event.error is None and event.instances == self._state.instances and self._state.error is None:
            return
        if event.error is not None:
            event = Event(instances=self._state.instances, error=event.error)
        self._state = event
        for listener in list(self._listeners):
            listener(event)
