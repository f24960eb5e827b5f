# tests/wit_world/imports/env.py — owns the stand-in of interface `env`; tests set the
# module's functions (get_env, get_app_info, get_params) to fakes.
from dataclasses import dataclass


@dataclass
class Param:
    name: str
    value: str


def get_env():
    return "{}"


def get_app_info():
    return '{:app-name "test"}'


def get_params(path):
    raise NotImplementedError
