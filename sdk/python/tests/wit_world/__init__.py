# tests/wit_world — owns a CPython stand-in for the bindings componentize-py generates
# for world ion-runtime (module `wit_world`): the records and enums the SDK builds, and
# host imports that tests replace with fakes.
