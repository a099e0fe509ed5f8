"""Load shedding at the edge: an adaptive concurrency limit per service that answers at once, instead of letting a
request wait in a queue it would only lengthen (see `kit.overload.shedder` for the rule and its measures)."""

from kit.overload.config import DEFAULTS, read_config
from kit.overload.lag import LoopLag
from kit.overload.middleware import shedding
from kit.overload.shedder import ShedConfig, Shedder

__all__ = ["DEFAULTS", "LoopLag", "ShedConfig", "Shedder", "read_config", "shedding"]
