"""The Unraid template, docker-compose.yml and env.example agree with the settings model."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from cacherr.docs_gen import _default
from cacherr.settings import SECRET_FIELDS, Settings, build_settings
from cacherr.unraid_template import ALWAYS_SHOWN, template_xml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = sorted(Settings.model_fields)


def _template() -> ET.Element:
    return ET.parse(ROOT / "unraid" / "cacherr.xml").getroot()


def _variables() -> dict[str, ET.Element]:
    return {c.get("Target", ""): c for c in _template().iter("Config") if c.get("Type") == "Variable"}


def _env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (ROOT / "env.example").read_text().splitlines():
        text = line.removeprefix("# ")
        name, sep, value = text.partition("=")
        if sep and name in Settings.model_fields:
            values[name] = json.loads(value) if value.startswith('"') else value
    return values


def test_template_is_current() -> None:
    assert (ROOT / "unraid" / "cacherr.xml").read_text() == template_xml(), "run scripts/gen-docs"


def test_template_has_every_setting_and_nothing_else() -> None:
    assert sorted(_variables()) == SETTINGS


@pytest.mark.parametrize("name", SETTINGS)
def test_template_entry_matches_the_setting(name: str) -> None:
    entry = _variables()[name]
    default = _default(name)
    options = (entry.get("Default") or "").split("|") if "|" in (entry.get("Default") or "") else [entry.get("Default")]
    assert options[0] == default, f"{name}: Default= must be the setting's default"
    description = entry.get("Description") or ""
    assert (Settings.model_fields[name].description or "").strip() in description
    assert (f"Default: {default}." if default else "Default: empty.") in description
    assert entry.get("Mask") == ("true" if name in SECRET_FIELDS else "false")
    assert entry.get("Display") == ("always" if name in ALWAYS_SHOWN else "advanced")
    if name in SECRET_FIELDS:
        assert not (entry.text or ""), f"{name}: a secret never ships with a value"
    if entry.get("Display") == "advanced":
        assert not (entry.text or ""), f"{name}: advanced fields start blank so they don't lock the dashboard"


def test_template_values_are_valid_settings() -> None:
    """The form's starting values, passed as the environment, must validate as they are."""
    env = {name: el.text for name, el in _variables().items() if el.text}
    settings = build_settings({}, env)
    assert settings.REAL_SOURCE == "/mediasource"
    paths = {c.get("Target"): c.text for c in _template().iter("Config") if c.get("Type") == "Path"}
    assert paths[settings.CACHE_DESTINATION] == settings.CACHE_DESTINATION, (
        "the cache is mounted at its host path, so the Mover Tuning list holds paths the plugin matches")


def test_template_paths_and_port() -> None:
    configs = list(_template().iter("Config"))
    paths = {c.get("Target"): c for c in configs if c.get("Type") == "Path" and c.get("Required") == "true"}
    assert set(paths) == {"/config", "/mediasource", "/mnt/cache/media"}
    assert paths["/config"].get("Default", "").startswith("/mnt/user/appdata/")
    assert paths["/mediasource"].get("Default", "").startswith(("/mnt/user0/", "/mnt/disk"))
    assert paths["/mnt/cache/media"].get("Default") == "/mnt/cache/media"
    for c in paths.values():
        assert not (c.get("Default") or "").startswith("/mnt/user/") or c.get("Target") == "/config"
    ports = [c for c in configs if c.get("Type") == "Port"]
    assert [(p.get("Target"), p.get("Mode")) for p in ports] == [("5445", "tcp")]
    root = _template()
    assert root.get("version") == "2"
    assert root.findtext("WebUI") == "http://[IP]:[PORT:5445]/"


def test_compose_mounts_config_and_publishes_5445() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["cacherr"]
    mounts = dict(v.rsplit(":", 1)[::-1] for v in service["volumes"])
    env = {k: str(v) for k, v in service["environment"].items()}
    cache = env["CACHE_DESTINATION"]
    assert set(mounts) == {"/config", "/mediasource", cache}
    assert mounts["/config"].startswith("/mnt/user/appdata/")
    assert mounts["/mediasource"].startswith(("/mnt/user0/", "/mnt/disk"))
    assert mounts[cache] == cache and cache.startswith("/mnt/cache/"), "cache mounted at its host path"
    assert "5445:5445" in service["ports"]
    assert set(env) <= set(Settings.model_fields)
    assert env["REAL_SOURCE"] == "/mediasource"
    assert env["MOVER_EXCLUDE_FILE"].startswith("/config/")
    # The example's values, with a token filled in, validate.
    env["PLEX_TOKEN"] = "abcdefgh12345678"
    build_settings({}, env)


def test_compose_explains_the_most_common_mistake() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "never /mnt/user" in text
    assert "MOST COMMON MISTAKE" in text


@pytest.mark.parametrize("name", SETTINGS)
def test_env_example_lists_every_setting_with_its_default(name: str) -> None:
    values = _env_example()
    assert name in values, f"{name} missing from env.example (run scripts/gen-docs)"
    assert values[name] == _default(name)
