"""The deployment files in deploy/: they parse, agree with each other and with what the app reads, and pass
the real tools that check them without a Docker engine or a cluster: Debian's nginx (`nginx -t`, and routing
through the real config to stand-in backends), the Kubernetes OpenAPI schemas (kubernetes-validate, offline),
BuildKit's Dockerfile parser (dockerfile), `kubectl kustomize`, and `docker compose config` where installed.
No Rasa is started; nginx runs in front of stand-in backends that answer with their own name.
"""

from __future__ import annotations

import http.client
import http.server
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
NGINX_CONF = DEPLOY / "nginx" / "nginx.conf"
K8S = DEPLOY / "k8s"
NGINX = Path("/usr/sbin/nginx")
IMAGE_SERVICES_COMMANDS = {"rasa", "actions", "chat", "migrate", "purge", "reminders"}
# What a Rasa process needs in every deployment (scripts/endpoints.py, components/, scripts/run.sh).
RASA_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "ACTION_SERVER_URL",
    "SANIC_WORKERS",
    "TWITCHCHECK_CHAT_ORIGINS",
    "TWITCHCHECK_PUBLIC_URL",
}
# Read by the Python interpreter or pip, not by TwitchCheck: allowed in the Dockerfile only.
INTERPRETER_VARIABLES = {
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
}
# The channels' settings, which the reminder worker sends with: a developer may have them set.
CHANNEL_VARIABLES = {"TELEGRAM_TOKEN", "TELEGRAM_API_URL", "SLACK_TOKEN", "SLACK_API_URL"}
PLACEHOLDER = "CHANGE_ME"
WEEK = timedelta(days=7)
KUBERNETES_VERSION = "1.28"  # the newest schemas kubernetes-validate 1.28.x bundles; the APIs used are GA


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def services_running(command: str) -> dict[str, dict[str, Any]]:
    """Compose services that run our image with this role (the entrypoint's first argument)."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("command", [None])[0] == command
    }


def our_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("command", [None])[0] in IMAGE_SERVICES_COMMANDS
    }


@cache
def k8s_objects() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in load_all(path) if "kind" in doc]


def k8s(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in k8s_objects() if doc["kind"] == kind}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    if workload["kind"] == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return workload["spec"]["template"]["spec"]


def workloads() -> list[dict[str, Any]]:
    return [doc for doc in k8s_objects() if doc["kind"] in ("Deployment", "Job", "CronJob")]


def commented_keys(path: Path, pattern: str) -> set[str]:
    """Variable names in commented-out example lines (`# NAME=...` or `  # NAME: ...`)."""
    return set(re.findall(pattern, path.read_text(encoding="utf-8"), flags=re.MULTILINE))


def secret_example_keys() -> set[str]:
    path = K8S / "secret.example.yaml"
    (secret,) = load_all(path)
    return set(secret["stringData"]) | commented_keys(path, r"^\s*#\s*([A-Z][A-Z0-9_]+):\s")


def container_environment(container: dict[str, Any]) -> set[str]:
    """Every variable a Kubernetes container gets: env, plus envFrom of the ConfigMap and the Secret."""
    names = {entry["name"] for entry in container.get("env", [])}
    configmaps = k8s("ConfigMap")
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(configmaps[source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:
            assert source["secretRef"]["name"] == "twitchcheck-secrets"
            names |= secret_example_keys()
    return names


# --- What the app reads ---------------------------------------------------------------------------------

APP_SOURCES = ("bot", "components", "actions", "scripts")
READ_PATTERNS = (
    r"""environ(?:\.get)?\s*[(\[]\s*["']([A-Z][A-Z0-9_]*)["']""",  # os.environ.get("X"), os.environ["X"]
    r"""getenv\(\s*["']([A-Z][A-Z0-9_]*)["']""",
    r"\$\{([A-Z][A-Z0-9_]*)",  # ${X} in endpoints.yml, credentials.yml and shell scripts
    r"^export ([A-Z][A-Z0-9_]*)",  # the Makefile's exports for every process it starts
)


@cache
def variables_the_app_reads() -> frozenset[str]:
    files = [path for folder in APP_SOURCES for path in (ROOT / folder).rglob("*") if path.is_file()]
    files += [ROOT / "endpoints.yml", ROOT / "credentials.yml", ROOT / "Makefile"]
    text = "\n".join(
        path.read_text(encoding="utf-8", errors="replace") for path in files if path.suffix != ".pyc"
    )
    names: set[str] = set()
    for pattern in READ_PATTERNS:
        names |= set(re.findall(pattern, text, flags=re.MULTILINE))
    # run.sh: `export A=1 B=2` sets several at once.
    for line in (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8").splitlines():
        if line.startswith("export "):
            names |= set(re.findall(r"\b([A-Z][A-Z0-9_]*)=", line))
    return frozenset(names)


@cache
def rasa_reads(name: str) -> bool:
    """Whether Rasa itself reads the variable (as SANIC_WORKERS): its name is a string in Rasa's source."""
    spec = importlib.util.find_spec("rasa")  # its files, without importing Rasa
    assert spec is not None and spec.submodule_search_locations
    needle = f'"{name}"'
    package = Path(next(iter(spec.submodule_search_locations)))
    return any(needle in path.read_text(errors="replace") for path in package.rglob("*.py"))


def sanic_reads(name: str) -> bool:
    """Whether Sanic reads the variable into its configuration: SANIC_ and one of its settings, as
    SANIC_PROXIES_COUNT (Sanic loads every SANIC_ variable when Rasa creates its app)."""
    from sanic.config import DEFAULT_CONFIG

    return name.startswith("SANIC_") and name.removeprefix("SANIC_") in DEFAULT_CONFIG


def read_by_app(name: str) -> bool:
    return name in variables_the_app_reads() or rasa_reads(name) or sanic_reads(name)


# --- Every file parses ----------------------------------------------------------------------------------


def test_every_yaml_file_in_deploy_parses() -> None:
    files = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))
    assert COMPOSE in files and len(files) >= 9
    for path in files:
        assert load_all(path), f"{path} is empty"


# --- Compose --------------------------------------------------------------------------------------------


def test_compose_runs_the_whole_stack() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "chat", "nginx"} <= set(services)
    assert len(services_running("rasa")) >= 2, "two Rasa replicas"
    assert len(services_running("actions")) >= 2, "two action servers"
    assert services_running("migrate") and services_running("chat")
    assert services["nginx"]["volumes"] == ["./nginx/nginx.conf:/etc/nginx/nginx.conf:ro"]
    # Only nginx is published: Rasa, the action servers and the databases are reachable only through it.
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx"}


def test_each_rasa_service_gets_the_database_the_lock_store_and_its_settings() -> None:
    for name, service in services_running("rasa").items():
        environment = service["environment"]
        assert RASA_VARIABLES <= set(environment), name
        assert environment["DATABASE_URL"].startswith("postgresql://"), name
        assert "@postgres:5432/" in environment["DATABASE_URL"], name
        assert environment["REDIS_URL"].startswith("redis://") and "@redis:6379/" in environment["REDIS_URL"]
        # Several replicas share conversation locks only through Redis, and Socket.IO needs one worker.
        assert environment["SANIC_WORKERS"] == "1", name
        assert environment["ACTION_SERVER_URL"] == "http://actions:5055/webhook", name
    for name, service in services_running("actions").items():
        assert {"DATABASE_URL", "TWITCHCHECK_PUBLIC_URL"} <= set(service["environment"]), name
    # ACTION_SERVER_URL's host is nginx's alias, in front of the action servers.
    assert "actions" in compose()["services"]["nginx"]["networks"]["default"]["aliases"]


def test_nothing_starts_before_the_database_is_migrated() -> None:
    services = compose()["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"].get("restart") == "no"
    for name, service in {**services_running("rasa"), **services_running("actions")}.items():
        depends = service["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert service["healthcheck"]["test"][-1] == service["command"][0], name
    for name in services_running("rasa"):
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        # Rasa takes ~20 s to load the model: its health is not judged before then.
        assert services[name]["healthcheck"]["start_period"] in ("60s", "90s", "120s")
    for name in ("postgres", "redis", "chat", "nginx"):
        assert services[name]["healthcheck"]["test"], name
    upstreams = set(re.findall(r"^\s*server\s+([a-z0-9-]+):\d+", NGINX_CONF.read_text(), flags=re.MULTILINE))
    assert upstreams <= set(services), "every nginx upstream host is a Compose service"
    assert {name: condition["condition"] for name, condition in services["nginx"]["depends_on"].items()} == {
        name: "service_healthy" for name in upstreams
    }


def test_two_reminder_workers_send_with_the_channels_tokens_once_the_database_is_migrated() -> None:
    workers = services_running("reminders")
    # Two show that replicas are safe (each reminder is claimed by one), and either may stop.
    assert len(workers) >= 2, "two reminder workers"
    for name, service in workers.items():
        assert service["command"][1:] == ["--every-seconds", "60"], f"{name} loops (else it runs one round)"
        assert service["restart"] == "unless-stopped", name
        environment = service["environment"]
        assert "@postgres:5432/" in environment["DATABASE_URL"], name
        assert environment["DATABASE_URL"] == compose()["services"]["rasa-1"]["environment"]["DATABASE_URL"]
        for token in ("TELEGRAM_TOKEN", "SLACK_TOKEN"):
            assert environment[token] == compose()["services"]["rasa-1"]["environment"][token], name
        depends = service["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_no_secret_is_written_in_the_deploy_files() -> None:
    # Compose: passwords and tokens only as ${VARIABLES} from deploy/.env.
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if re.search(r"PASSWORD|TOKEN|SECRET|AUTH", key):
                assert value == "" or value.startswith("${"), f"{name}.{key} holds a literal secret"
            password = re.search(r"://[^:/@]*:([^@]*)@", value)
            if password:
                assert password.group(1).startswith("${"), f"{name}.{key} has a password in its URL"
    # The examples: placeholders only.
    env_example = DEPLOY / ".env.example"
    for line in env_example.read_text(encoding="utf-8").splitlines():
        key, _, value = line.lstrip("# ").partition("=")
        if re.fullmatch(r"[A-Z_]*(PASSWORD|TOKEN|SECRET)[A-Z_]*", key):
            assert PLACEHOLDER in value, f"{key} in .env.example is not a placeholder"
    (secret,) = load_all(K8S / "secret.example.yaml")
    for key, value in secret["stringData"].items():
        assert PLACEHOLDER in value, f"{key} in secret.example.yaml is not a placeholder"
    assert "secret.example.yaml" not in (K8S / "kustomization.yaml").read_text().split("resources:")[1]
    # Nothing anywhere in deploy/ looks like a real credential.
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not re.search(r"xox[bpa]-\d", text), f"{path}: a Slack token"
            assert not re.search(r"\b\d{6,}:[A-Za-z0-9_-]{30,}", text), f"{path}: a Telegram token"
            assert "BEGIN PRIVATE KEY" not in text and "BEGIN RSA" not in text, path
    ignored = (DEPLOY / ".gitignore").read_text().split()
    assert ".env" in ignored and "k8s/secret.yaml" in ignored


def test_every_variable_set_in_deploy_is_one_the_app_reads() -> None:
    given: dict[str, str] = {}
    for name, service in our_services().items():
        for key in service.get("environment") or {}:
            given[key] = f"compose.yaml {name}"
    for name, configmap in k8s("ConfigMap").items():
        for key in configmap["data"]:
            given[key] = f"ConfigMap {name}"
    for key in secret_example_keys():
        given[key] = "secret.example.yaml"
    for workload in workloads():
        spec = pod_spec(workload)
        for container in spec["containers"] + spec.get("initContainers", []):
            for entry in container.get("env", []):
                given[entry["name"]] = f"{workload['kind']} {workload['metadata']['name']}"
    instructions = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())  # join continued lines
    for line in instructions.splitlines():
        if line.startswith("ENV "):
            for key in re.findall(r"\b([A-Z][A-Z0-9_]*)=", line):
                if key not in INTERPRETER_VARIABLES:
                    given[key] = "Dockerfile"
    unknown = {key: where for key, where in given.items() if not read_by_app(key)}
    assert not unknown, f"set in deploy/ but read by nothing in the app: {unknown}"
    assert {"DATABASE_URL", "CHAT_HOST", "SANIC_WORKERS", "TWITCHCHECK_SOCKET_URL"} <= set(given)

    # deploy/.env.example: each key is either read by the app or used by compose.yaml itself.
    compose_text = COMPOSE.read_text()
    example = DEPLOY / ".env.example"
    for key in commented_keys(example, r"^#?\s*([A-Z][A-Z0-9_]+)="):
        assert read_by_app(key) or "${" + key in compose_text, f".env.example: {key} is used by nothing"


def test_rasa_gets_what_it_needs_in_compose_and_in_kubernetes() -> None:
    for name, service in services_running("rasa").items():
        assert RASA_VARIABLES <= set(service["environment"]), name
    containers = {
        container["name"]: container
        for deployment in k8s("Deployment").values()
        for container in pod_spec(deployment)["containers"]
    }
    assert RASA_VARIABLES <= container_environment(containers["rasa"])
    assert {"DATABASE_URL", "TWITCHCHECK_PUBLIC_URL"} <= container_environment(containers["actions"])
    assert "TWITCHCHECK_SOCKET_URL" in container_environment(containers["chat"])
    for job in ("migrate", "purge"):
        workload = k8s("Job").get(job) or k8s("CronJob")[job]
        assert "DATABASE_URL" in container_environment(pod_spec(workload)["containers"][0])
    assert "TWITCHCHECK_RETENTION_DAYS" in container_environment(
        pod_spec(k8s("CronJob")["purge"])["containers"][0]
    )
    # The reminder worker: the database and the tokens Rasa's Slack and Telegram channels have.
    assert {"DATABASE_URL", "TELEGRAM_TOKEN", "SLACK_TOKEN"} <= container_environment(containers["reminders"])


# --- nginx ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_nginx_conf(
    directory: Path, upstreams: dict[str, str] | None = None, listen: dict[int, int] | None = None
) -> Path:
    """deploy/nginx/nginx.conf with Compose's host names (unknown here) and ports replaced for this machine.

    Everything else is the real file. Temporary files go to `directory`, so nginx needs no root."""
    text = NGINX_CONF.read_text(encoding="utf-8")

    def upstream(match: re.Match[str]) -> str:
        address = f"{match.group(2)}:{match.group(3)}"
        return match.group(1) + (upstreams[address] if upstreams else f"127.0.0.1:{match.group(3)}")

    text = re.sub(r"(\bserver\s+)([a-z0-9-]+):(\d+)", upstream, text)
    for public, local in (listen or {}).items():
        text = text.replace(f"listen {public};", f"listen 127.0.0.1:{local};")
    temp = "".join(
        f"    {kind}_temp_path {directory / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text = text.replace("http {\n", "http {\n" + temp, 1)
    conf = directory / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def nginx_args(conf: Path, *directives: str) -> list[str]:
    """nginx on `conf`, with its pid file (and any other main-context directives) kept beside it."""
    main = " ".join([f"pid {conf.parent}/nginx.pid;", *directives])  # nginx reads only the last -g
    return [str(NGINX), "-c", str(conf), "-p", str(conf.parent), "-e", "stderr", "-g", main]


@pytest.fixture(scope="module")
def nginx() -> Path:
    if not NGINX.exists():
        pytest.fail("Debian's nginx is missing: `make nginx` installs it")
    return NGINX


def test_nginx_accepts_the_config(nginx: Path, tmp_path: Path) -> None:
    conf = render_nginx_conf(tmp_path)
    result = subprocess.run([*nginx_args(conf), "-t"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


class NamedBackend(http.server.ThreadingHTTPServer):
    """A stand-in for one upstream server: answers every request with its own name."""

    def __init__(self, name: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = name.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                # What the app behind nginx would read the client's address from.
                self.send_header("X-Seen-Forwarded-For", self.headers.get("X-Forwarded-For", ""))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer  # noqa: N815 (http.server's naming)

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True


@pytest.fixture(scope="module")
def nginx_in_front(nginx: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The real nginx.conf in front of named stand-ins for rasa-1, rasa-2, actions-1, actions-2 and chat."""
    directory = tmp_path_factory.mktemp("nginx")
    names = {"rasa-1:5005", "rasa-2:5005", "actions-1:5055", "actions-2:5055", "chat:8000"}
    backends = {address: NamedBackend(address.split(":")[0]) for address in sorted(names)}
    for backend in backends.values():
        threading.Thread(target=backend.serve_forever, args=(0.05,), daemon=True).start()
    upstreams = {address: f"127.0.0.1:{backend.server_address[1]}" for address, backend in backends.items()}
    public, internal = free_port(), free_port()
    conf = render_nginx_conf(directory, upstreams, {80: public, 5055: internal})
    log = directory / "access.log"
    with log.open("wb") as out:
        process = subprocess.Popen(nginx_args(conf, "daemon off;"), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", public), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start:\n{log.read_text()}")
                time.sleep(0.05)
        yield {"public": f"http://127.0.0.1:{public}", "internal": f"http://127.0.0.1:{internal}", "log": log}
    finally:
        process.terminate()
        process.wait(timeout=10)
        for backend in backends.values():
            backend.shutdown()
            backend.server_close()


def fetch(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_nginx_spreads_channel_webhooks_over_every_rasa_replica(nginx_in_front: dict[str, Any]) -> None:
    url = nginx_in_front["public"]
    answers = {
        fetch(f"{url}/webhooks/rest/webhook", "POST", b'{"sender":"a","message":"hi"}')[1] for _ in range(6)
    }
    answers |= {fetch(f"{url}/webhooks/slack/webhook", "POST", b"{}")[1] for _ in range(4)}
    assert answers == {"rasa-1", "rasa-2"}


def test_nginx_keeps_a_socketio_client_on_one_rasa_replica(nginx_in_front: dict[str, Any]) -> None:
    url = nginx_in_front["public"]
    answers = {fetch(f"{url}/socket.io/?EIO=4&transport=polling&t={n}")[1] for n in range(12)}
    assert len(answers) == 1 and answers <= {"rasa-1", "rasa-2"}


def test_nginx_serves_the_chat_page_and_hides_rasas_api(nginx_in_front: dict[str, Any]) -> None:
    url = nginx_in_front["public"]
    assert fetch(f"{url}/") == (200, "chat")
    assert fetch(f"{url}/chat.js") == (200, "chat")
    # Rasa's HTTP API paths reach the chat page (which has no such file), never Rasa.
    assert fetch(f"{url}/conversations/someone/tracker")[1] == "chat"
    assert fetch(f"{url}/model", "PUT", b"{}")[0] == 403


def test_nginx_balances_the_action_servers_on_its_internal_port(nginx_in_front: dict[str, Any]) -> None:
    url = nginx_in_front["internal"]
    answers = {fetch(f"{url}/webhook", "POST", b'{"next_action":"action_faq"}')[1] for _ in range(6)}
    assert answers == {"actions-1", "actions-2"}


def test_nginx_logs_no_summary_token(nginx_in_front: dict[str, Any]) -> None:
    url = nginx_in_front["public"]
    token = "k3y-of-someones-summary"
    assert fetch(f"{url}/webhooks/summary/{token}?download=1")[0] == 200
    deadline = time.monotonic() + 5
    while "/webhooks/summary/" not in nginx_in_front["log"].read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = nginx_in_front["log"].read_text()
    assert "/webhooks/summary/<token>" in log
    assert token not in log and "download=1" not in log and "127.0.0.1 -" not in log


def post_from(
    url: str, source: str, path: str, count: int, headers: dict[str, str] | None = None
) -> list[http.client.HTTPResponse]:
    """`count` POSTs to `path` one after another over one connection from the loopback address `source`
    (every 127.x address is this machine: a client of its own)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=10, source_address=(source, 0)
    )
    answers = []
    try:
        for _ in range(count):
            connection.request("POST", path, b'{"sender":"a","message":"hi"}', headers or {})
            answer = connection.getresponse()
            answer.read()
            answers.append(answer)
    finally:
        connection.close()
    return answers


def test_nginx_turns_a_flood_from_one_address_away_but_not_others_nor_the_platforms(
    nginx_in_front: dict[str, Any],
) -> None:
    url = nginx_in_front["public"]
    flood = [answer.status for answer in post_from(url, "127.0.0.2", "/webhooks/rest/webhook", 300)]
    # A burst of 100 gets through at once, as the app's own limits would let far fewer (they decide first).
    assert flood[:100] == [200] * 100 and 429 in flood
    assert [answer.status for answer in post_from(url, "127.0.0.1", "/webhooks/rest/webhook", 5)] == [200] * 5
    # Slack and Telegram send everyone's messages from their own servers: never limited by address.
    for platform in ("slack", "telegram"):
        statuses = {a.status for a in post_from(url, "127.0.0.3", f"/webhooks/{platform}/webhook", 300)}
        assert statuses == {200}, platform


def test_behind_nginx_the_app_knows_a_client_by_the_address_nginx_saw(nginx_in_front: dict[str, Any]) -> None:
    from sanic.compat import Header
    from sanic.config import Config
    from sanic.headers import parse_xforwarded

    # A client that writes its own X-Forwarded-For cannot pass for someone else: nginx appends the address it
    # saw, and the Rasa services trust exactly that one proxy (SANIC_PROXIES_COUNT; the ingress controller
    # sets the header alike).
    [answer] = post_from(
        nginx_in_front["public"], "127.0.0.4", "/webhooks/rest/webhook", 1, {"X-Forwarded-For": "203.0.113.9"}
    )
    arrived = Header({"X-Forwarded-For": answer.getheader("X-Seen-Forwarded-For")})
    trusted = {
        f"compose {name}": service["environment"]["SANIC_PROXIES_COUNT"]
        for name, service in services_running("rasa").items()
    }
    trusted["ConfigMap"] = k8s("ConfigMap")["twitchcheck-config"]["data"]["SANIC_PROXIES_COUNT"]
    for where, proxies in trusted.items():
        config = Config(env_prefix=None)  # as Rasa's Sanic app reads SANIC_PROXIES_COUNT
        config.PROXIES_COUNT = int(proxies)
        assert (parse_xforwarded(arrived, config) or {}).get("for") == "127.0.0.4", where


# --- Kubernetes -----------------------------------------------------------------------------------------


def test_kubernetes_manifests_match_the_openapi_schemas() -> None:
    utils = pytest.importorskip(
        "kubernetes_validate.utils",
        reason="kubernetes-validate (pinned in requirements.lock) is not installed",
    )
    documents = [document for document in k8s_objects() if document["kind"] != "Kustomization"]
    errors = []
    for document in documents:
        try:
            utils.validate(document, KUBERNETES_VERSION, strict=True)  # strict: unknown fields are errors
        except utils.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            errors.append(f"{document['kind']}/{document['metadata']['name']}: {where}: {error.message}")
    assert not errors, "\n".join(errors)
    assert len(documents) >= 15


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    (kustomization,) = load_all(K8S / "kustomization.yaml")
    files = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(kustomization["resources"]) == files
    kinds = {doc["kind"] for doc in k8s_objects()}
    assert {
        "Namespace",
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Job",
        "CronJob",
    } <= kinds
    assert [image["name"] for image in kustomization["images"]] == ["twitchcheck"]
    for workload in workloads():
        spec = pod_spec(workload)
        for container in spec["containers"] + spec.get("initContainers", []):
            assert container["image"] == "twitchcheck", container["name"]


def test_kustomize_builds_the_whole_deployment(tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize` cannot be run here")
    result = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    built = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert len(built) == len([doc for doc in k8s_objects() if doc["kind"] not in ("Kustomization", "Secret")])
    for doc in built:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "twitchcheck", doc["metadata"]["name"]
    images = set(re.findall(r"image: (\S+)", result.stdout))
    assert images == {"registry.example.org/twitchcheck:0.1.0"}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def deployments_selected_by(selector: dict[str, str]) -> list[dict[str, Any]]:
    return [
        deployment
        for deployment in k8s("Deployment").values()
        if selects(selector, deployment["spec"]["template"]["metadata"]["labels"])
    ]


def deployments_selected_by_a_service(name: str) -> list[str]:
    return [
        service_name
        for service_name, service in k8s("Service").items()
        if k8s("Deployment")[name] in deployments_selected_by(service["spec"]["selector"])
    ]


def test_services_probes_and_ports_line_up() -> None:
    deployments = k8s("Deployment")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(deployment["spec"]["selector"]["matchLabels"], labels), name
        for container in pod_spec(deployment)["containers"]:
            ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if probe in container:
                    assert container[probe]["httpGet"]["port"] in ports, f"{name} {probe}"
    for name, service in k8s("Service").items():
        targets = deployments_selected_by(service["spec"]["selector"])
        assert len(targets) == 1, f"Service {name} selects {len(targets)} Deployments"
        ports = {port["name"] for c in pod_spec(targets[0])["containers"] for port in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, f"Service {name}"
    for name, budget in k8s("PodDisruptionBudget").items():
        assert len(deployments_selected_by(budget["spec"]["selector"]["matchLabels"])) == 1, name
    configmaps, services = set(k8s("ConfigMap")), k8s("Service")
    for workload in workloads():
        for container in pod_spec(workload)["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps
    for ingress in k8s("Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {port["name"] for port in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports, path["path"]


def rasa_container() -> dict[str, Any]:
    return pod_spec(k8s("Deployment")["rasa"])["containers"][0]


def test_rasa_pods_are_probed_sized_and_scaled_for_our_model() -> None:
    rasa = rasa_container()
    assert rasa["args"] == ["rasa"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert rasa[probe]["httpGet"]["path"] == "/webhooks/rest/"
    startup = rasa["startupProbe"]
    # Rasa takes ~20 s to load the model; a busy node may need three times that.
    assert (
        startup.get("initialDelaySeconds", 0) + startup["periodSeconds"] * startup["failureThreshold"] >= 60
    )
    memory = {kind: rasa["resources"][kind]["memory"] for kind in ("requests", "limits")}
    mebibytes = {
        kind: int(value[:-2]) * (1024 if value.endswith("Gi") else 1) for kind, value in memory.items()
    }
    assert mebibytes["requests"] >= 850 and mebibytes["limits"] > mebibytes["requests"]  # ~850 MB resident
    assert rasa["resources"]["requests"]["cpu"] == "1"  # one busy core under load
    actions = pod_spec(k8s("Deployment")["actions"])["containers"][0]
    assert actions["readinessProbe"]["httpGet"]["path"] == "/health"
    assert int(actions["resources"]["limits"]["memory"][:-2]) >= 256  # ~200 MB resident
    autoscalers = k8s("HorizontalPodAutoscaler")
    for name in ("rasa", "actions"):
        assert autoscalers[name]["spec"]["scaleTargetRef"]["name"] == name
        assert autoscalers[name]["spec"]["minReplicas"] >= 2
        # The autoscaler owns the count: a replicas field would reset it on every apply.
        assert "replicas" not in k8s("Deployment")[name]["spec"]
    assert k8s("Deployment")["chat"]["spec"]["replicas"] >= 2
    config = k8s("ConfigMap")["twitchcheck-config"]["data"]
    assert config["SANIC_WORKERS"] == "1"
    assert config["ACTION_SERVER_URL"] == "http://actions:5055/webhook" and "actions" in k8s("Service")


def test_socketio_is_sticky_and_the_webhooks_are_not() -> None:
    ingresses = k8s("Ingress")
    routes = {
        path["path"]: (name, path["backend"]["service"]["name"])
        for name, ingress in ingresses.items()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    socket_ingress, socket_service = routes["/socket.io"]
    webhook_ingress, webhook_service = routes["/webhooks"]
    annotations = ingresses[socket_ingress]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600  # WebSockets stay open
    assert "nginx.ingress.kubernetes.io/affinity" not in ingresses[webhook_ingress]["metadata"]["annotations"]
    # Separate Services give ingress-nginx separate upstreams, so affinity cannot leak onto the webhooks.
    assert socket_service != webhook_service
    services = k8s("Service")
    assert services[socket_service]["spec"]["selector"] == services[webhook_service]["spec"]["selector"]
    assert routes["/"][1] == "chat"


def test_pods_run_as_the_images_non_root_user_with_a_read_only_root() -> None:
    for workload in workloads():
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == 10001
        for container in spec["containers"] + spec.get("initContainers", []):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
            mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{container['name']} has nowhere to write"
    # Rasa writes its config, Keras' and Matplotlib's caches under HOME.
    assert "/home/twitchcheck" in {mount["mountPath"] for mount in rasa_container()["volumeMounts"]}


def test_migrations_run_once_and_the_purge_daily() -> None:
    job = k8s("Job")["migrate"]
    assert pod_spec(job)["containers"][0]["args"] == ["migrate"]
    for name in ("rasa", "actions", "reminders"):
        (init,) = pod_spec(k8s("Deployment")[name])["initContainers"]
        assert init["args"][0] == "wait-for-migrations", name
    cron = k8s("CronJob")["purge"]
    assert pod_spec(cron)["containers"][0]["args"] == ["purge"]
    minute, hour, *every_day = cron["spec"]["schedule"].split()
    assert every_day == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"


def test_two_reminder_workers_run_in_kubernetes_and_nothing_calls_them() -> None:
    deployment = k8s("Deployment")["reminders"]
    # Two, not autoscaled: each reminder is claimed by one worker, and either may be drained or restarted.
    assert deployment["spec"]["replicas"] == 2 and "reminders" not in k8s("HorizontalPodAutoscaler")
    [worker] = pod_spec(deployment)["containers"]
    assert worker["args"] == ["reminders", "--every-seconds", "60"]
    assert "ports" not in worker and not deployments_selected_by_a_service("reminders")


# --- The image ------------------------------------------------------------------------------------------


def test_dockerfile_builds_a_venv_trains_and_runs_as_a_non_root_user() -> None:
    dockerfile = pytest.importorskip(
        "dockerfile", reason="dockerfile (pinned in requirements.lock) is not installed"
    )
    commands = dockerfile.parse_file(str(DEPLOY / "Dockerfile"))  # BuildKit's own parser
    stages: list[str] = []
    final: list[Any] = []
    for command in commands:
        if command.cmd == "FROM":
            assert len(command.value) == 3 and command.value[1].upper() == "AS", command.original
            stages.append(command.value[2])
            final = []
        final.append(command)
        for flag in command.flags:
            if flag.startswith("--from="):
                assert flag.split("=", 1)[1] in stages[:-1], f"{command.original}: no earlier stage"
        if command.cmd == "COPY" and not any(flag.startswith("--from=") for flag in command.flags):
            for source in command.value[:-1]:
                assert source == "." or (ROOT / source).exists() or source.startswith("models/"), source
    assert {"build", "model-train", "model-copy", "model", "runtime"} <= set(stages)
    runs = " ".join(" ".join(c.value) for c in commands if c.cmd == "RUN")
    assert "pip install -r" in runs and "pip install --no-deps -e ." in runs
    assert "rasa train --fixed-model-name twitchcheck --out models" in runs
    by_kind = {command.cmd: command for command in final}
    assert stages[-1] == "runtime"
    user = by_kind["USER"].value[0].split(":")[0]
    assert user.isdigit() and int(user) != 0
    assert by_kind["HEALTHCHECK"].value[:2] == ("CMD", "python")
    assert "--start-period=90s" in by_kind["HEALTHCHECK"].flags
    entrypoint = by_kind["ENTRYPOINT"]
    assert entrypoint.json and entrypoint.value[-1] == "/app/deploy/docker-entrypoint.sh"
    assert os.access(DEPLOY / "docker-entrypoint.sh", os.X_OK)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "**/*.db", "deploy/.env"} <= set(ignored)


def run_entrypoint(
    *args: str, database: Path, settings: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """deploy/docker-entrypoint.sh as the image runs it, with only DATABASE_URL and `settings` configured."""
    # `make test` exports ACTION_SERVER_URL and a developer may have the others set: none of them here.
    unset = RASA_VARIABLES | {"TWITCHCHECK_RETENTION_DAYS", *CHANNEL_VARIABLES}
    environment = {key: value for key, value in os.environ.items() if key not in unset}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    environment["DATABASE_URL"] = f"sqlite:///{database}"
    environment.update(settings or {})
    return subprocess.run(
        [str(DEPLOY / "docker-entrypoint.sh"), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_entrypoint_migrates_then_lets_rasa_and_the_actions_start(tmp_path: Path) -> None:
    database = tmp_path / "conversations.db"
    waiting = run_entrypoint("wait-for-migrations", "--timeout", "0", database=database)
    assert waiting.returncode == 1 and "gave up" in waiting.stderr
    assert run_entrypoint("migrate", database=database).returncode == 0
    waiting = run_entrypoint("wait-for-migrations", "--timeout", "0", database=database)
    assert waiting.returncode == 0, waiting.stderr
    purge = run_entrypoint("purge", database=database)
    assert purge.returncode == 0 and "removed 0 rows older than 365 days" in purge.stdout


def test_entrypoint_sends_the_due_reminders_in_one_round(tmp_path: Path) -> None:
    from bot.identity import telegram_id
    from bot.storage.reminders import Reminders
    from bot.storage.repository import connect
    from bot.wording import wording
    from tests.fakes import fake_telegram

    database = tmp_path / "conversations.db"
    assert run_entrypoint("migrate", database=database).returncode == 0
    idle = run_entrypoint("reminders", database=database)
    assert idle.returncode == 0 and "neither TELEGRAM_TOKEN nor SLACK_TOKEN is set" in idle.stderr
    sam = telegram_id(5501)
    with connect(f"sqlite:///{database}") as store:
        store.give_consent(sam)
        Reminders(store.engine).schedule(sam, "telegram", "5501", 7, now=datetime.now(timezone.utc) - WEEK)
    telegram = fake_telegram()
    try:
        # Without --every-seconds the role runs one round and ends, as `purge` without --every-hours.
        settings = {"TELEGRAM_TOKEN": "loopback-only", "TELEGRAM_API_URL": telegram.url}
        rounds = [run_entrypoint("reminders", database=database, settings=settings) for _ in range(2)]
        [call] = telegram.calls_to("sendMessage")
    finally:
        telegram.close()
    assert [done.returncode for done in rounds] == [0, 0], rounds[0].stderr
    assert "sent 1 reminders, 0 to retry" in rounds[0].stdout
    assert "sent 0 reminders, 0 to retry" in rounds[1].stdout, "sent once only"
    assert (call.fields["chat_id"], call.fields["text"]) == ("5501", wording("reminder_check_back", days=7))
    assert "/start_recheck" in str(call.fields["reply_markup"])  # with the re-check's button


def test_entrypoint_refuses_to_start_rasa_half_configured(tmp_path: Path) -> None:
    database = tmp_path / "conversations.db"
    missing = run_entrypoint("rasa", database=database)
    assert missing.returncode != 0 and "ACTION_SERVER_URL" in missing.stderr
    assert run_entrypoint(database=database).returncode == 2


def test_healthcheck_knows_each_containers_role_from_its_command(tmp_path: Path) -> None:
    sys.path.insert(0, str(DEPLOY))
    try:
        import healthcheck
    finally:
        sys.path.remove(str(DEPLOY))
    cmdline = tmp_path / "cmdline"
    for role in ("rasa", "actions", "chat", "migrate", "reminders"):
        cmdline.write_bytes(
            b"\0".join([b"/usr/bin/tini", b"--", b"/app/deploy/docker-entrypoint.sh", role.encode(), b"-x"])
        )
        assert healthcheck.role_of_container(cmdline) == role
    cmdline.write_bytes(b"python\0-m\0scripts.records\0")
    assert healthcheck.role_of_container(cmdline) == ""
    # One-shot containers (migrate) and loops (purge, reminders) have no server to ask and count as healthy
    # while they run: the loop is the container's process, so it ends with it and is restarted.
    assert healthcheck.healthy("migrate") and healthcheck.healthy("purge")
    assert healthcheck.healthy("reminders")
    assert set(healthcheck.HEALTH_URLS) == {"rasa", "actions", "chat"}
    assert healthcheck.HEALTH_URLS["rasa"].endswith(":5005/webhooks/rest/")


# --- Compose, checked by Compose itself ------------------------------------------------------------------


def compose_command() -> list[str] | None:
    """`docker compose` (the CLI plugin) or a standalone `docker-compose` v2, if either is installed."""
    candidates = [["docker", "compose"], ["docker-compose"]]
    for command in candidates:
        if shutil.which(command[0]) is None:
            continue
        version = subprocess.run([*command, "version"], capture_output=True, text=True, timeout=30)
        if version.returncode == 0 and re.search(r"\bv?2\.\d+", version.stdout):
            return command
    return None


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip(
            "neither `docker compose` nor docker-compose v2 is installed (docker here is a bare client)"
        )
    env_file = tmp_path / ".env"
    env_file.write_text((DEPLOY / ".env.example").read_text())
    result = subprocess.run(
        [
            *command,
            "-f",
            str(COMPOSE),
            "--env-file",
            str(env_file),
            "--profile",
            "maintenance",
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def network_policies() -> dict[str, dict[str, Any]]:
    return k8s("NetworkPolicy")


def policy_selects(policy: dict[str, Any], component: str) -> bool:
    selector = policy["spec"]["podSelector"]
    if not selector:
        return True
    labels = selector.get("matchLabels") or {}
    if labels:
        return labels.get("app.kubernetes.io/component") == component
    return any(component in expression["values"] for expression in selector.get("matchExpressions") or [])


def allowed_ports(component: str, direction: str) -> set[int]:
    """The ports every policy selecting the component's pods opens in `direction` (ingress or egress)."""
    return {
        port["port"]
        for policy in network_policies().values()
        if policy_selects(policy, component)
        for rule in policy["spec"].get(direction) or []
        for port in rule.get("ports") or []
    }


def test_by_default_nothing_reaches_or_leaves_a_pod() -> None:
    deny = network_policies()["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny


def test_only_rasa_reaches_the_action_servers() -> None:
    rules = [
        rule
        for policy in network_policies().values()
        if policy_selects(policy, "actions") and policy["spec"]["podSelector"]
        for rule in policy["spec"].get("ingress") or []
    ]
    assert rules and all(
        source == {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "rasa"}}}
        for rule in rules
        for source in rule["from"]
    )


def test_only_the_app_reaches_the_databases() -> None:
    for component in ("rasa", "actions", "migrate", "purge", "reminders"):
        assert 5432 in allowed_ports(component, "egress"), component
    assert 6379 in allowed_ports("rasa", "egress")
    assert allowed_ports("chat", "egress") == {53}, "the chat page reaches nothing but DNS"
    assert 6379 not in allowed_ports("actions", "egress")


def test_the_reminder_workers_reach_postgresql_and_the_platforms_and_nothing_reaches_them() -> None:
    # PostgreSQL, DNS, and Telegram's and Slack's APIs over HTTPS (outside the cluster, as for Rasa).
    assert allowed_ports("reminders", "egress") == {53, 443, 5432}
    assert allowed_ports("reminders", "ingress") == set(), "a worker answers no one"
    assert 443 not in allowed_ports("actions", "egress") | allowed_ports("purge", "egress")


def test_the_ingress_does_not_log_summary_downloads() -> None:
    summary = k8s("Ingress")["twitchcheck-summary"]
    assert summary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/enable-access-log"] == "false"
    [path] = [p for rule in summary["spec"]["rules"] for p in rule["http"]["paths"]]
    assert path["path"] == "/webhooks/summary"


LIMITS = ("limit-rps", "limit-burst-multiplier", "limit-connections")


def test_every_route_people_reach_is_limited_per_address_and_the_platform_webhooks_are_not() -> None:
    routes = {
        path["path"]: ingress
        for ingress in k8s("Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    platforms = {"/webhooks/slack", "/webhooks/telegram"}
    assert platforms < set(routes)
    for path, ingress in routes.items():
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "1m", path
        limited = {name for name in LIMITS if f"nginx.ingress.kubernetes.io/{name}" in annotations}
        assert limited == (set() if path in platforms else set(LIMITS)), path
    # The platforms' Ingress routes nothing else: no other path escapes the limits through it.
    assert {p for p, ingress in routes.items() if ingress["metadata"]["name"] == "twitchcheck-platforms"} == (
        platforms
    )
