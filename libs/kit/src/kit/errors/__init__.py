"""The kit's error vocabulary: each class carries everything a transport or a log needs to know about it.

As go-kit's `StatusCoder` and `Headerer` do, an error says itself which HTTP status and which gRPC status it travels
as, which extra headers go with it, at which level its request line is logged, and whether it counts against the
instance that served it. Transports and the log read these attributes; none of them keeps a table of its own.
`code` names the class on the wire (the `kit-error` header and trailer) and in the `outcome` label of the metrics.

What a client reads differs from what the log reads: a caller's own mistake (4xx) is explained in full, but a
failure on our side (5xx) tells only what failed in the caller's terms ("trim is unavailable: no instance is
running"), never instances, addresses or library text. `dependency` names the service that failed, set by whoever
called it (see `calling`).
"""

# Each module names its public API once, in its __all__; the package is their union.
from kit.errors import caller, failures, handling, logged, retry_after, vocabulary
from kit.errors.caller import *  # noqa: F403
from kit.errors.failures import *  # noqa: F403
from kit.errors.handling import *  # noqa: F403
from kit.errors.logged import *  # noqa: F403
from kit.errors.retry_after import *  # noqa: F403
from kit.errors.vocabulary import *  # noqa: F403

__all__ = [
    *vocabulary.__all__,
    *caller.__all__,
    *failures.__all__,
    *handling.__all__,
    *logged.__all__,
    *retry_after.__all__,
]

# Tracebacks and reprs name each class where callers import it from: `kit.errors.Internal`.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
