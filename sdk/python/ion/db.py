# ion.db — owns the embedded database API, shaped like Datomic's synchronous Client API:
# connect → Connection (db, transact, sync, tx_range) → Db (basis_t, as_of, since, history,
# with_, pull, datoms, index_range, db_stats), and q. EDN values cross as text: this
# module prints arguments and reads answers.
"""The database: ``conn = ion.connect("my-db"); ion.q(query, conn.db(), kw("shirt"))``."""

from dataclasses import dataclass
from typing import Any

from . import _wit
from . import edn as _edn
from .errors import IonError


def _host():
    from wit_world.imports import db
    return db


def _print(value, what):
    try:
        return _edn.dumps(value)
    except _edn.EdnError as e:
        raise IonError.incorrect(f"{what}: {e}") from None


class Db:
    """An immutable database value (a snapshot as of some basis t)."""
    __slots__ = ("_raw",)

    def __init__(self, raw):
        self._raw = raw

    def basis_t(self):
        """The t of the last transaction this value contains."""
        return self._raw.basis_t()

    def as_of(self, point):
        """This value as of a t, a transaction id or a datetime (#inst)."""
        return Db(_wit.call(self._raw.as_of, _print(point, "as_of's point")))

    def since(self, point):
        """Only what was asserted or retracted after a point in time."""
        return Db(_wit.call(self._raw.since, _print(point, "since's point")))

    def history(self):
        """Every assertion and retraction ever made (for datoms and q)."""
        return Db(self._raw.history())

    def with_(self, tx_data):
        """Applies ``tx_data`` speculatively; returns a TxReport. Nothing is written."""
        return _report(_wit.call(self._raw.with_, _print(tx_data, "with_'s tx-data")))

    def pull(self, selector, eid):
        """Pulls ``selector`` (e.g. ``[kw("inv/sku")]``) for entity ``eid``."""
        request = {_edn.Keyword("selector"): selector, _edn.Keyword("eid"): eid}
        return _wit.read_answer(_wit.call(self._raw.pull, _print(request, "pull's request")))

    def datoms(self, request):
        """Raw index access: ``{:index :eavt :components [...] :offset n :limit n}``."""
        return _wit.read_answer(_wit.call(self._raw.datoms, _print(request, "datoms' request")))

    def index_range(self, request):
        """AVET datoms in a value range: ``{:attrid a :start v :end v :limit n}``."""
        return _wit.read_answer(_wit.call(self._raw.index_range,
                                          _print(request, "index_range's request")))

    def db_stats(self):
        """``{:datoms n :attrs {attr {:count n}}}``."""
        return _wit.read_answer(_wit.call(self._raw.db_stats))

    def __repr__(self):
        return "Db(...)"


@dataclass
class TxReport:
    """What a transaction (or ``with_``) did: dbs before and after, datoms added, tempids."""
    db_before: Db
    db_after: Db
    tx_data: Any
    tempids: Any


def _report(r):
    return TxReport(Db(r.db_before), Db(r.db_after), _wit.read_answer(r.tx_data),
                    _wit.read_answer(r.tempids))


class Connection:
    """A connection to one named database."""
    __slots__ = ("_raw",)

    def __init__(self, raw):
        self._raw = raw

    def db(self):
        """The current database value."""
        return Db(self._raw.db())

    def transact(self, tx_data):
        """Commits ``tx_data`` (a list of list forms, map forms, tx-fn calls); returns a
        TxReport once durable."""
        return _report(_wit.call(self._raw.transact, _print(tx_data, "transact's tx-data")))

    def sync(self, t):
        """A database value that includes at least transaction ``t``."""
        if not isinstance(t, int) or isinstance(t, bool):
            raise IonError.incorrect(f"sync takes an int t; got {type(t).__name__}")
        return Db(_wit.call(self._raw.sync, t))

    def tx_range(self, request):
        """Transactions in a range: ``{:start t :end t}`` → ``[{:t t :data [datoms]} …]``."""
        return _wit.read_answer(_wit.call(self._raw.tx_range, _print(request, "tx_range's request")))


def connect(name):
    """Connects to database ``name``; raises a ``not-found`` IonError when it does not exist."""
    if not isinstance(name, str):
        raise IonError.incorrect(f"connect takes a database name string; got {type(name).__name__}")
    return Connection(_wit.call(_host().connect, name))


def list_databases():
    """The names of every database on this node."""
    return list(_wit.call(_host().list_databases))


def create_database(name):
    """Creates database ``name`` (no error when it exists)."""
    _wit.call(_host().create_database, name)


def delete_database(name):
    """Deletes database ``name`` (no error when it does not exist)."""
    _wit.call(_host().delete_database, name)


def q(query, *args):
    """Runs Datalog ``query`` (EDN text, or a query value) with ``args`` bound to its
    ``:in`` in order; a Db argument binds a ``$`` source. Returns the result as EDN values."""
    h = _host()
    text = query if isinstance(query, str) else _print(query, "q's query")
    wit_args = [h.QueryArg_Db(a._raw) if isinstance(a, Db)
                else h.QueryArg_Value(_print(a, f"q's argument {i}"))
                for i, a in enumerate(args)]
    return _wit.read_answer(_wit.call(h.q, text, wit_args))
