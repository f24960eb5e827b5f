# tests/wit_world/exports — owns the stand-ins of the export records (lambda_, web).
