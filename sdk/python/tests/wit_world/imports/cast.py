# tests/wit_world/imports/cast.py — owns the stand-in of interface `cast`: it records calls.
CALLS = []


def event(data):
    CALLS.append(("event", data))


def alert(data):
    CALLS.append(("alert", data))


def metric(data):
    CALLS.append(("metric", data))


def dev(data):
    CALLS.append(("dev", data))
