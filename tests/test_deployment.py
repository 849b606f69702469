"""Deployment files cannot run here (no Docker engine): at least keep them consistent with the Procfile."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def procfile() -> dict[str, str]:
    roles = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            role, command = line.split(":", 1)
            roles[role.strip()] = command.strip()
    return roles


def compose_command(service: dict) -> str:
    command = service["command"]
    if command[:2] == ["sh", "-c"]:
        return command[2].removeprefix("exec ").replace("$$", "$")
    return " ".join(command)


def test_procfile_has_one_line_per_role_and_exactly_one_beat():
    roles = procfile()
    assert set(roles) == {"web", "worker", "beat", "flower"}
    assert sum("beat" in command.split() for command in roles.values()) == 1


def test_compose_runs_the_procfile_commands():
    yaml = pytest.importorskip("yaml")
    services = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]

    assert {"mongo", "redis", "web", "worker", "beat"} <= set(services)
    for role, command in procfile().items():
        assert compose_command(services[role]) == command
    beats = [name for name, s in services.items() if "command" in s and "beat" in compose_command(s).split()]
    assert beats == ["beat"]


def test_image_is_python_311_slim_and_runs_as_a_user():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "\nFROM python:3.11-slim\n" in dockerfile
    assert 'pip install ".[ops]"' in dockerfile  # with Flower, so the `flower` role runs from the same image
    user = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user and user[-1] != "USER root"


def test_the_example_prometheus_config_scrapes_web_with_the_admin_key_compose_mounts():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((REPO / "docs" / "prometheus.yml").read_text())
    services = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]

    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "metasync"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [{"targets": ["web:8000"]}]
    assert job["authorization"]["type"] == "Bearer"
    mounts = services["prometheus"]["volumes"]
    assert "./docs/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in mounts
    assert any(m.split(":")[1] == job["authorization"]["credentials_file"] for m in mounts)


def test_flower_is_an_optional_extra_not_a_requirement():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("flower") for dep in project["dependencies"])
    assert any(dep.startswith("flower") for dep in project["optional-dependencies"]["ops"])
