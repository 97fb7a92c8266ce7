"""Docker HEALTHCHECK for the TwitchCheck image: healthy when this container's server answers 200.

    python deploy/healthcheck.py [rasa|actions|chat]

Without an argument the role is read from the container's command (PID 1 is tini, then the entrypoint
and its role), so one HEALTHCHECK line in the Dockerfile serves every role. Roles that serve nothing count
as healthy: the one-shot migrate, and the loops (purge, reminders), which are their container's only
process, so the container ends when the loop does and its restart policy brings it back; a round that fails
is logged and tried again. Kubernetes ignores HEALTHCHECK: deploy/k8s has probes on the same URLs.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

# What answers 200 once each server is ready (Rasa's REST channel answers only after the model loaded).
HEALTH_URLS = {
    "rasa": "http://127.0.0.1:5005/webhooks/rest/",
    "actions": "http://127.0.0.1:5055/health",
    "chat": "http://127.0.0.1:8000/",
}


def role_of_container(cmdline: Path = Path("/proc/1/cmdline")) -> str:
    """The word after docker-entrypoint.sh in PID 1's command line, or '' when there is none."""
    try:
        words = cmdline.read_bytes().split(b"\0")
    except OSError:
        return ""
    for index, word in enumerate(words[:-1]):
        if word.endswith(b"docker-entrypoint.sh"):
            return words[index + 1].decode(errors="replace")
    return ""


def healthy(role: str, timeout: float = 4.0) -> bool:
    url = HEALTH_URLS.get(role)
    if url is None:
        return True  # a one-shot role, a loop, or a command of the operator's: nothing to probe
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str]) -> int:
    role = argv[0] if argv else role_of_container()
    return 0 if healthy(role) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
