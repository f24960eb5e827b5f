# tests/componentize_py_types.py — owns a CPython stand-in for componentize-py's
# `componentize_py_types` (Ok, Err, Some), so the SDK's tests run without a wasm build.
from dataclasses import dataclass
from typing import Any


@dataclass
class Some:
    value: Any


@dataclass
class Ok:
    value: Any


@dataclass(frozen=True)
class Err(Exception):
    value: Any
