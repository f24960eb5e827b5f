# tests/wit_world/imports/types.py — owns the stand-in of interface `types`.
from dataclasses import dataclass
from enum import Enum
from typing import List, Optional


class Category(Enum):
    INCORRECT = 0
    FORBIDDEN = 1
    NOT_FOUND = 2
    CONFLICT = 3
    FAULT = 4
    UNAVAILABLE = 5
    BUSY = 6
    INTERRUPTED = 7
    UNSUPPORTED = 8


@dataclass
class IonError:
    category: Category
    message: str
    data: Optional[str]


class FnKind(Enum):
    LAMBDA = 0
    WEB = 1
    TX_FN = 2
    QUERY_FN = 3
    XFORM = 4


@dataclass
class FnDecl:
    name: str
    kind: FnKind
    doc: Optional[str]


@dataclass
class AppDescription:
    sdk: str
    fns: List[FnDecl]
