# tests/wit_world/imports/db.py — owns the stand-in of interface `db`: the variant and
# record classes, and functions tests replace with fakes.
from dataclasses import dataclass
from typing import Any


@dataclass
class TxReport:
    db_before: Any
    db_after: Any
    tx_data: str
    tempids: str


class Database:
    def __init__(self, name="fake"):
        self.name = name

    def basis_t(self):
        return 7


class Connection:
    def db(self):
        return Database()


@dataclass
class QueryArg_Value:
    value: str


@dataclass
class QueryArg_Db:
    value: Database


@dataclass
class FnArg_Value:
    value: str


@dataclass
class FnArg_Db:
    value: Database


def connect(db_name):
    raise NotImplementedError


def q(query, args):
    raise NotImplementedError
