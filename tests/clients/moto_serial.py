"""moto's server, answering one request at a time.

`python -m moto.server` serves each request on a thread of its own, and moto's S3
checks a conditional write (`If-None-Match: *`) and then writes, without a lock: two
racing writers can both be told they created the same key. Real S3 never does that, and
the shared-database tests race writers on purpose, so they run moto serially.

Usage: moto_serial.py HOST PORT
"""

import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
