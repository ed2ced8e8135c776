"""docker-compose.yml cannot run here; this keeps it consistent with the code it deploys."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml
from pydantic_settings import BaseSettings

from hub import settings as hub_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
HUB_SERVICES = {name: s for name, s in SERVICES.items() if s.get("build") == "."}


def _settings_classes() -> list[type[BaseSettings]]:
    classes: list[type[BaseSettings]] = [
        c for c in vars(hub_settings).values()
        if isinstance(c, type) and issubclass(c, BaseSettings) and c is not BaseSettings]
    from producers.gateway.settings import GatewaySettings
    from registry.settings import RegistryServiceSettings

    from monitor.settings import MonitorSettings, SinkMetricsSettings

    return [*classes, RegistryServiceSettings, GatewaySettings, MonitorSettings, SinkMetricsSettings]


def known_variables() -> set[str]:
    names = {"HUB_LOG_LEVEL"}  # read by the stream worker's entry point
    for cls in _settings_classes():
        prefix = cls.model_config.get("env_prefix", "")
        names |= {f"{prefix}{field}".upper() for field in cls.model_fields}
    return names


def test_every_hub_variable_in_compose_is_a_setting() -> None:
    used = {var for s in HUB_SERVICES.values() for var in s.get("environment", {}) if var.startswith("HUB_")}
    assert used - known_variables() == set()
    assert {"HUB_KAFKA_BOOTSTRAP", "HUB_CLICKHOUSE_URL", "HUB_NAMESPACE"} <= used


def test_service_commands_are_modules_of_this_repo() -> None:
    modules = {name: s["command"][2] for name, s in HUB_SERVICES.items() if s["command"][:2] == ["python", "-m"]}
    assert modules == {"registry": "registry", "streams": "streams", "sink": "sinks", "gateway": "producers.gateway",
                       "monitor": "monitor"}
    for module in modules.values():
        assert importlib.util.find_spec(f"{module}.__main__") is not None, module


def test_addresses_and_ports_match_the_settings_defaults() -> None:
    env = HUB_SERVICES["sink"]["environment"]
    kafka = SERVICES["kafka"]["environment"]
    assert f"PLAINTEXT://{env['HUB_KAFKA_BOOTSTRAP']}" in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert env["HUB_KAFKA_BOOTSTRAP"].endswith(f":{hub_settings.KafkaSettings().port}")
    assert env["HUB_CLICKHOUSE_URL"] == "http://clickhouse:8123"
    assert "8123:8123" in SERVICES["clickhouse"]["ports"]
    registry = HUB_SERVICES["registry"]
    port = hub_settings.RegistrySettings().port
    assert registry["environment"]["HUB_REGISTRY_PORT"] == str(port)
    assert f"{port}:{port}" in registry["ports"]
    assert env["HUB_REGISTRY_URL"] == f"http://registry:{port}"
    assert SERVICES["kafka"]["image"].split(":")[1] == hub_settings.KafkaSettings().version
    assert SERVICES["clickhouse"]["environment"]["CLICKHOUSE_USER"] == env["HUB_CLICKHOUSE_USERNAME"]


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("hub", "schemas", "registry", "producers", "streams", "sinks", "monitor"):
        assert f"COPY {package} ./{package}" in dockerfile
