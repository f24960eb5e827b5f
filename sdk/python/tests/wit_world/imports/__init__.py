# tests/wit_world/imports — owns the stand-ins of the host's imports (types, env, cast, db).
