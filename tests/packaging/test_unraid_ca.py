"""unraid/cacherr.xml against Community Applications' rules, the icon and the maintainer profile."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

from cacherr.unraid_template import ICON, IMAGE, IMAGE_NAME, TEMPLATE_URL, build_template

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"^https://\S+$")
CONFIG_ATTRS = ("Name", "Target", "Default", "Mode", "Description", "Type", "Display", "Required", "Mask")
TYPES = {"Port", "Path", "Variable", "Label", "Device"}
DISPLAYS = {"always", "advanced", "always-hide", "advanced-hide"}


def ca_problems(root: ET.Element) -> list[str]:
    """What Community Applications would refuse or show wrongly; empty when the template is fine."""
    problems: list[str] = []
    if root.tag != "Container" or root.get("version") != "2":
        problems.append("root must be <Container version=\"2\">")
    for tag in ("Name", "Repository", "Overview", "Category", "WebUI", "Icon", "TemplateURL", "Registry"):
        if not (root.findtext(tag) or "").strip():
            problems.append(f"<{tag}> is empty")
    if not any((root.findtext(tag) or "").strip() for tag in ("Support", "Project")):
        problems.append("CA requires <Support> or <Project>")
    for tag in ("Support", "Project", "Icon", "TemplateURL", "Registry"):
        value = (root.findtext(tag) or "").strip()
        if value and not URL.match(value):
            problems.append(f"<{tag}> must be an https URL: {value!r}")
    if not re.fullmatch(r"http://\[IP\]:\[PORT:\d+\]/\S*", root.findtext("WebUI") or ""):
        problems.append("<WebUI> must look like http://[IP]:[PORT:5445]/")
    if (root.findtext("Privileged") or "false") != "false":
        problems.append("<Privileged> must be false")
    targets: set[str] = set()
    for config in root.iter("Config"):
        name = config.get("Name") or "?"
        for attr in CONFIG_ATTRS:
            if config.get(attr) is None:
                problems.append(f"Config {name}: no {attr}=")
        if config.get("Type") not in TYPES:
            problems.append(f"Config {name}: Type={config.get('Type')!r}")
        if config.get("Display") not in DISPLAYS:
            problems.append(f"Config {name}: Display={config.get('Display')!r}")
        for attr in ("Required", "Mask"):
            if config.get(attr) not in ("true", "false"):
                problems.append(f"Config {name}: {attr}={config.get(attr)!r}")
        if config.get("Type") == "Path" and config.get("Mode") not in ("rw", "ro", "rw,slave", "ro,slave"):
            problems.append(f"Config {name}: Path Mode={config.get('Mode')!r}")
        target = config.get("Target") or ""
        if target in targets:
            problems.append(f"Config {name}: Target {target} twice")
        targets.add(target)
    web_port = re.search(r"\[PORT:(\d+)\]", root.findtext("WebUI") or "")
    ports = {c.get("Target") for c in root.iter("Config") if c.get("Type") == "Port"}
    if web_port and web_port.group(1) not in ports:
        problems.append("<WebUI> names a port no Config publishes")
    return problems


def _template() -> ET.Element:
    return ET.parse(ROOT / "unraid" / "cacherr.xml").getroot()


def test_template_follows_community_applications_rules() -> None:
    assert ca_problems(_template()) == []


def test_the_ca_check_catches_what_ca_would_refuse() -> None:
    root = build_template()
    for tag in ("Support", "Project", "Icon"):
        element = root.find(tag)
        assert element is not None
        element.text = ""
    config = next(root.iter("Config"))
    del config.attrib["Mask"]
    config.set("Display", "sometimes")
    problems = ca_problems(root)
    assert "CA requires <Support> or <Project>" in problems
    assert "<Icon> is empty" in problems
    assert any("no Mask=" in p for p in problems) and any("Display='sometimes'" in p for p in problems)


def test_the_unraid_notification_mounts_are_offered() -> None:
    paths = {c.get("Target"): c for c in _template().iter("Config") if c.get("Type") == "Path"}
    assert paths["/usr/local/emhttp"].get("Mode") == "ro", "Unraid's web GUI is only read"
    assert paths["/tmp/notifications"].get("Mode") == "rw"
    for target in ("/usr/local/emhttp", "/tmp/notifications"):
        assert paths[target].text == paths[target].get("Default") == target, "same path inside and outside"
        assert paths[target].get("Required") == "false" and paths[target].get("Display") == "advanced"


def test_template_names_the_published_image_and_its_own_files() -> None:
    root = _template()
    assert root.findtext("Repository") == IMAGE == f"{IMAGE_NAME}:latest"
    assert IMAGE_NAME == "ghcr.io/cacherr/cacherr"
    assert root.findtext("Icon") == ICON and ICON.endswith("/unraid/cacherr.png")
    assert root.findtext("TemplateURL") == TEMPLATE_URL and TEMPLATE_URL.endswith("/unraid/cacherr.xml")
    assert "--stop-timeout" in (root.findtext("ExtraParams") or "")


def test_icon_is_a_square_png() -> None:
    data = (ROOT / "unraid" / "cacherr.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width == height >= 128


def test_ca_profile_is_complete() -> None:
    root = ET.parse(ROOT / "unraid" / "ca_profile.xml").getroot()
    assert root.tag == "Maintainer"
    for tag in ("Profile", "Icon", "WebPage"):
        assert (root.findtext(tag) or "").strip(), tag
    assert URL.match(root.findtext("Icon") or "") and URL.match(root.findtext("WebPage") or "")


def test_one_image_name_everywhere() -> None:
    """The Dockerfile header, compose, README, docs/unraid.md and the template name the same image."""
    for rel in ("Dockerfile", "docker-compose.yml", "README.md", "docs/unraid.md", "unraid/cacherr.xml"):
        text = (ROOT / rel).read_text()
        assert IMAGE_NAME in text, f"{rel} does not name {IMAGE_NAME}"
        others = re.findall(r"(?<![\w./-])(?:cacherr/cacherr|cacherr):latest\b", text)
        assert not others, f"{rel} names another image: {others}"
