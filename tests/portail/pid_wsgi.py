"""A WSGI app answering with the id of the process that served it: which gunicorn worker
holds a kept-alive connection (tests/portail/test_connection_balance.py)."""

import os
import time


def application(environ, start_response):
    time.sleep(0.02)  # a request that takes a thread a while, as a page does
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
