"""Install Debian's Chromium for the browser tests when it is missing and we are allowed to.

Playwright cannot download its own browser here; Debian's package is the browser we test with.
Without root (a developer's laptop) it says what to run; the browser tests then skip, or fail
when PORTAIL_REQUIRE_SERVICES=1 as in CI.
"""

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    if os.path.exists(CHROMIUM):
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"{CHROMIUM} is missing: run `sudo apt-get install chromium` for the browser tests.")
        return 0
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
