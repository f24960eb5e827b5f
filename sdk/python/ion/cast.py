# ion.cast — owns structured logging and metrics, as datomic.ion.cast: event, alert,
# metric and dev, each taking an EDN map (a dict with keyword keys).
"""``ion.cast.event({kw("msg"): "hello"})``; errors from the host raise IonError."""

from . import _wit
from . import edn as _edn
from .errors import IonError


def _send(kind, data):
    if not isinstance(data, dict):
        raise IonError.incorrect(f"cast.{kind} takes an EDN map (a dict); got {type(data).__name__}")
    from wit_world.imports import cast
    _wit.call(getattr(cast, kind), _edn.dumps(data))


def event(data):
    """Records an ordinary occurrence: ``{:msg "…" …}``."""
    _send("event", data)


def alert(data):
    """Records an occurrence that needs a human: ``{:msg "…" :ex "…"}``; counted as an Alert."""
    _send("alert", data)


def metric(data):
    """Records a measurement: ``{:name :my.app/latency :value 12 :units :msec}``."""
    _send("metric", data)


def dev(data):
    """High-volume developer logging, kept only under ``host dev``."""
    _send("dev", data)
