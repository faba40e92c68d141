"""What gunicorn serves for `bench.rush --free`: the portal, with the parts named in
PORTAIL_BENCH_FREE made free (bench/ablated.py)."""

import os

from bench.ablated import make_free, parts_from
from portail.wsgi import application

make_free(parts_from(os.environ.get("PORTAIL_BENCH_FREE", "")))

__all__ = ["application"]
