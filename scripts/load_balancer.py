"""nginx (Debian's /usr/sbin/nginx) in front of several Rasa replicas, as the scale-out test runs it.

Round robin over the replicas' ports, on 127.0.0.1 only. Everything nginx writes (configuration, pid, error
and access logs, temporary files) stays in one folder, so it runs beside a system nginx without touching it,
and without root. The master process stays in the foreground as our child (`daemon off;`), so stopping it is
stopping that process.

Failover: a request goes to the next replica when the first cannot be reached (`proxy_next_upstream error
timeout`). nginx does that for a REST POST only while the request has not been sent, i.e. when the replica
refused or did not accept the connection: then Rasa never saw the message and sending it elsewhere is safe.
We deliberately do not add `non_idempotent`: a replica that dies after receiving a message may already
have stored it and run its actions (a diary entry written), and a retry would log that twitch twice. The
person gets a 502 instead and sends again. Socket.IO would need sticky sessions (ip_hash); this balances
REST only.

    python -m scripts.load_balancer 5005 5006 [--port 8080]   # until Ctrl-C; the access log is printed
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from scripts.stack import free_port, wait_until_up

NGINX = Path("/usr/sbin/nginx")
ACCESS_LOG = "access.log"
# One request per line, fields separated by "|"; after a failover $upstream_addr and $upstream_status list
# every replica tried, comma separated ("127.0.0.1:5005, 127.0.0.1:5006" and "502, 200").
LOG_FORMAT = "$request_method|$request_uri|$status|$upstream_addr|$upstream_status"


@dataclass(frozen=True)
class Forwarded:
    """One request as nginx's access log recorded it: which replicas it went to, and what they answered."""

    method: str
    uri: str
    status: int
    upstreams: tuple[str, ...]  # every replica tried, in order, as host:port; the last one answered
    upstream_statuses: tuple[str, ...]

    @property
    def answered_by(self) -> str:
        return self.upstreams[-1]


def parse_access_line(line: str) -> Forwarded:
    method, uri, status, upstreams, statuses = line.rstrip("\n").split("|")
    return Forwarded(
        method=method,
        uri=uri,
        status=int(status),
        upstreams=tuple(part.strip() for part in upstreams.split(",")),
        upstream_statuses=tuple(part.strip() for part in statuses.split(",")),
    )


def nginx_config(prefix: Path, port: int, upstream_ports: Sequence[int]) -> str:
    """nginx.conf: round robin over 127.0.0.1:`upstream_ports`, listening on 127.0.0.1:`port`."""
    servers = "\n".join(
        # After one failed connection a replica is left out for 5 s, so a stopped one costs one retry, not
        # one per request; then nginx tries it again and finds it back if it was restarted.
        f"        server 127.0.0.1:{upstream} max_fails=1 fail_timeout=5s;"
        for upstream in upstream_ports
    )
    return f"""\
# Written by scripts/load_balancer.py; everything nginx writes stays in {prefix}.
worker_processes 1;  # one worker keeps round robin strictly alternating
pid {prefix}/nginx.pid;
error_log {prefix}/error.log notice;

events {{
    worker_connections 256;
}}

http {{
    log_format upstreams '{LOG_FORMAT}';
    access_log {prefix}/{ACCESS_LOG} upstreams;

    # Temporary files in the prefix: Debian's defaults are under /var/lib/nginx, which needs root.
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    # Messages and replies are small: kept in memory, never on disk (workers may run as another user).
    client_body_buffer_size 64k;
    client_max_body_size 64k;
    proxy_max_temp_file_size 0;

    upstream rasa {{
{servers}
    }}

    server {{
        listen 127.0.0.1:{port};

        location / {{
            proxy_pass http://rasa;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # See the module docstring: POSTs move on only if the replica never received them.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 3s;
            # A turn may wait for the conversation lock while another replica answers the same person.
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


class LoadBalancer:
    """nginx as a child process in front of `upstream_ports`; `forwarded()` reads its access log."""

    def __init__(
        self, workdir: Path, upstream_ports: Sequence[int], port: int | None = None, nginx: Path = NGINX
    ) -> None:
        if not upstream_ports:
            raise ValueError("a load balancer needs at least one upstream port")
        self.prefix = workdir / "nginx"
        self.port = port or free_port()
        self.upstream_ports = tuple(upstream_ports)
        self.nginx = nginx
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.prefix / ACCESS_LOG

    def start(self, health_path: str = "/webhooks/rest/") -> str:
        """Starts nginx and waits until `health_path` answers through it; returns its URL."""
        if not self.nginx.exists():
            raise FileNotFoundError(f"{self.nginx} is missing: `make nginx` installs Debian's nginx")
        self.prefix.mkdir(parents=True, exist_ok=True)
        config = self.prefix / "nginx.conf"
        config.write_text(nginx_config(self.prefix, self.port, self.upstream_ports), encoding="utf-8")
        log = self.prefix / "error.log"  # nginx's own messages and anything it prints, for failures
        self.process = subprocess.Popen(
            # -e: the error log until the configuration is read (Debian's default would be stderr).
            [
                str(self.nginx),
                "-p",
                str(self.prefix),
                "-c",
                str(config),
                "-e",
                str(log),
                "-g",
                "daemon off;",
            ],
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(self.url + health_path, self.process, log, timeout=30)
        return self.url

    def stop(self) -> None:
        """Graceful shutdown (SIGQUIT: finish requests in flight), then SIGKILL to the group if it hangs."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        self.process = None

    def forwarded(self, at_least: int = 0, timeout: float = 10) -> list[Forwarded]:
        """Every request nginx has logged so far, oldest first; waits up to `timeout` seconds for `at_least`.

        nginx writes a request's line after sending the response, so a client that has its answer may
        read the log a moment before the line is there.
        """
        deadline = time.monotonic() + timeout
        while True:
            lines = (
                self.access_log.read_text(encoding="utf-8").splitlines() if self.access_log.exists() else []
            )
            if len(lines) >= at_least or time.monotonic() > deadline:
                return [parse_access_line(line) for line in lines if line]
            time.sleep(0.05)

    def __enter__(self) -> LoadBalancer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream_ports", nargs="+", type=int, help="the Rasa replicas' ports on 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="where nginx listens (default: a free port)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="twitchcheck-nginx-") as folder:
        balancer = LoadBalancer(Path(folder), args.upstream_ports, args.port)
        with balancer:
            replicas = ", ".join(map(str, args.upstream_ports))
            print(f"  load balancer: {balancer.url} -> {replicas} (Ctrl-C stops)")
            try:
                balancer.process.wait()
            except KeyboardInterrupt:
                pass
            for request in balancer.forwarded():
                print(f"  {request.method} {request.uri} {request.status} via {', '.join(request.upstreams)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
