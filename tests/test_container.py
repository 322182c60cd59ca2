"""The container and its orchestration, checked without building anything (no base image
can be pulled here): the Dockerfile passes hadolint, and every command it and compose.yaml
and docs/kubernetes.yaml run is one app.py accepts and that works against a real server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest
import yaml

import app
from server.web import Server

ROOT = Path(__file__).resolve().parent.parent
SECRETISH = re.compile(r"TOKEN|SECRET|KEY|PASSWORD", re.IGNORECASE)


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def only(word: str) -> str:
    found = [rest for kind, rest in instructions() if kind == word]
    assert len(found) == 1, f"{word}: {found}"
    return found[0]


def hadolint() -> str:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else (shutil.which("hadolint") or "hadolint")


def test_the_dockerfile_passes_hadolint():
    result = subprocess.run(
        [hadolint(), "--failure-threshold", "info", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_slim_python_run_as_a_user_without_secrets():
    assert only("FROM") == "python:3.12-slim"
    kinds = [kind for kind, _ in instructions()]
    user = only("USER")
    assert user not in ("root", "0") and kinds.index("USER") > max(
        i for i, kind in enumerate(kinds) if kind == "RUN"
    )
    for kind, rest in instructions():
        if kind in ("ENV", "ARG"):
            assert not SECRETISH.search(rest), f"{kind} {rest}"
    # Installed from the project's own files, as the README does: `pip install .`.
    runs = [rest for kind, rest in instructions() if kind == "RUN"]
    assert any(re.fullmatch(r"pip install (--no-cache-dir )?\.", run) for run in runs), runs


def test_the_build_context_has_what_pip_install_needs_and_no_secrets():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "*.db", "network.yaml"} <= set(ignored)
    copied = []
    for kind, rest in instructions():
        if kind == "COPY":
            *sources, _destination = rest.split()
            copied += sources
    for source in copied:
        assert (ROOT / source).exists(), source
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    # Every package pyproject.toml installs is copied before `pip install .` runs.
    assert {p.rstrip("*") for p in packages} <= set(copied)
    assert project["project"]["readme"] in copied


def test_the_cmd_is_http_mode_as_app_py_reads_it():
    argv = json.loads(only("CMD"))
    assert argv[:2] == ["python", "app.py"]
    args = app.parse_args(argv[2:])
    assert args.http and args.port == 3000 and not args.sandbox and args.workers is None
    assert f"EXPOSE {args.port}" in (ROOT / "Dockerfile").read_text()


def healthcheck_argv(port: int) -> list[str]:
    rest = only("HEALTHCHECK")
    argv = json.loads(rest[rest.index("CMD") + len("CMD") :].strip())
    assert argv[0] == "python" and ":3000/livez" in argv[-1]
    return [sys.executable, *argv[1:-1], argv[-1].replace(":3000/", f":{port}/")]


def test_the_healthcheck_passes_while_the_server_answers_and_fails_when_it_does_not(slack, db):
    server = Server(slack.app, db, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        check = subprocess.run(healthcheck_argv(server.port), capture_output=True, timeout=30)
        assert check.returncode == 0, check.stderr
    finally:
        server.stop()
        thread.join(timeout=15)
    gone = subprocess.run(healthcheck_argv(server.port), capture_output=True, timeout=30)
    assert gone.returncode != 0


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def environments(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return env


def test_compose_runs_postgres_then_the_migrations_once_then_the_bot():
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "bot"}
    db, migrate, bot = services["db"], services["migrate"], services["bot"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]  # a named volume, not a folder
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert app.parse_args(migrate["command"][2:]).migrate
    assert migrate["restart"] == "no"
    assert bot["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert bot["depends_on"]["db"] == {"condition": "service_healthy"}
    assert bot["command"] == json.loads(only("CMD"))
    for service in (migrate, bot):
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]


def test_compose_writes_no_secret_down():
    for name, service in compose()["services"].items():
        for key, value in environments(service).items():
            if SECRETISH.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", str(value)), (name, key)
            # A password inside a URL is a reference too, never the password.
            for password in re.findall(r"://[^:/@]+:([^@]+)@", str(value)):
                assert password.startswith("${"), (name, key)


def kubernetes() -> dict[str, dict]:
    documents = list(yaml.safe_load_all((ROOT / "docs" / "kubernetes.yaml").read_text()))
    return {doc["kind"]: doc for doc in documents if doc}


def test_the_kubernetes_example_probes_live_and_ready_and_migrates_in_a_job():
    found = kubernetes()
    assert {"Secret", "Deployment", "Job"} <= set(found)
    container = found["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app.parse_args(container["args"][2:]).http
    job = found["Job"]["spec"]["template"]["spec"]["containers"][0]
    assert app.parse_args(job["command"][2:]).migrate
    secret = set(found["Secret"]["stringData"])
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HANDOVER_DATA_KEYS"} <= secret
    assert container["envFrom"] == [{"secretRef": {"name": found["Secret"]["metadata"]["name"]}}]


def test_the_kubernetes_deployment_holds_no_secret():
    deployment = kubernetes()["Deployment"]
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        for variable in container.get("env", []):
            if SECRETISH.search(variable["name"]):
                assert "value" not in variable, variable["name"]
    text = yaml.safe_dump(deployment)
    assert "xoxb-" not in text and "replace-me" not in text


@pytest.mark.parametrize("path", ["compose.yaml", "docs/kubernetes.yaml", "docs/alerts.yaml"])
def test_the_yaml_files_parse(path):
    assert list(yaml.safe_load_all((ROOT / path).read_text()))
