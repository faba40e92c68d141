"""Docker health check for the web container: GET /sante/ as the reverse proxy would.

/sante/ answers 200 when the process and the database answer. The request carries an allowed
host name and `X-Forwarded-Proto: https`, otherwise production settings would answer 400
(unknown host) or redirect to HTTPS. Exit 0 when healthy, 1 otherwise.
"""

import os
import sys
import urllib.request

URL = "http://127.0.0.1:8000/sante/"


def allowed_host() -> str:
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
    for host in hosts:
        if host and host != "*":
            return host.lstrip(".")
    return "localhost"


def main() -> int:
    request = urllib.request.Request(
        URL, headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed loopback URL
            return 0 if response.status == 200 else 1
    except Exception as exc:  # any failure means unhealthy; say why in `docker inspect`
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
