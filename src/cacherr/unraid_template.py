"""Generate ``unraid/cacherr.xml``, the Unraid Community Applications template, from the settings.

Every setting becomes a ``<Config Type="Variable">`` with its description and default, secrets are
masked, and the three folders and the port come first. ``scripts/gen-docs`` writes the file; a test in
``tests/packaging`` fails when it is stale or misses a setting.

Template conventions (dockerMan's ``<Container version="2">`` format): ``Default`` holds the default
(``a|b`` makes a drop-down whose first entry is the default), the element text is the value the form
starts with, ``Display="advanced"`` hides a field behind "Show more settings", ``Mask="true"`` hides
a secret. Advanced fields start blank: the entrypoint drops blank variables, so a blank field means
"the default, or what you saved in the dashboard" instead of locking the setting to its default.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from cacherr.docs_gen import ESSENTIAL, ROOT, _default
from cacherr.settings import Settings, field_meta

TEMPLATE_PATH = ROOT / "unraid" / "cacherr.xml"
# One image name everywhere: the Dockerfile header, compose, the docs and this template (a test checks).
IMAGE_NAME = "ghcr.io/cacherr/cacherr"
IMAGE = f"{IMAGE_NAME}:latest"
REGISTRY = "https://github.com/cacherr/cacherr/pkgs/container/cacherr"
PROJECT = "https://github.com/cacherr/cacherr"
SUPPORT = f"{PROJECT}/issues"
RAW = "https://raw.githubusercontent.com/cacherr/cacherr/main"
ICON = f"{RAW}/unraid/cacherr.png"
TEMPLATE_URL = f"{RAW}/unraid/cacherr.xml"
WEB_PORT = 5445

# Shown on the template's first page (besides ESSENTIAL): what almost every Unraid user sets.
ALWAYS_SHOWN = ESSENTIAL | {"MOVER_EXCLUDE_FILE", "CACHE_LIMIT", "SCHEDULE", "UMASK"}
REQUIRED = {"PLEX_URL", "PLEX_TOKEN", "PLEX_SOURCE"}
# Values the form starts with when they differ from the setting's default (the default stays in Default=).
# The cache is mounted at the same path inside as on the host: the Mover Tuning list then holds host paths.
CACHE_PATH = "/mnt/cache/media"
START_VALUES = {"MOVER_EXCLUDE_FILE": "/config/mover_exclude.txt", "PLEX_URL": "http://192.168.1.10:32400",
                "CACHE_DESTINATION": CACHE_PATH}

OVERVIEW = (
    "Cacherr keeps the media your Plex users are about to watch (On Deck, next episodes, watchlists, "
    "Trakt lists) on the fast cache pool, and gives the array back what they have finished, without "
    "ever losing or half-writing a file: every copy goes to a temporary name, is verified, then renamed "
    "into place, and each step is journaled so a crash is recovered on the next start.[br][br]"
    "PATHS: mount the ARRAY side of your media share (/mnt/user0/SHARE or /mnt/diskN/SHARE) at "
    "/mediasource and the CACHE side (/mnt/cache/SHARE or /mnt/POOL/SHARE) at the same path inside, "
    "with CACHE_DESTINATION set to it. Never mount /mnt/user here. Set PLEX_SOURCE to the same folder "
    "as your Plex container sees it (e.g. /data).[br]"
    "Start with TEST_MODE=true to see the plan on the dashboard before any file is touched.[br]"
    "Mover Tuning: point its file list at /mnt/user/appdata/cacherr/mover_exclude.txt.[br][br]"
    "Fields left blank use the default, or the value saved on the dashboard's settings page."
)


@dataclass(frozen=True)
class PathEntry:
    name: str
    target: str
    default: str
    description: str


PATHS = (
    PathEntry("Appdata", "/config", "/mnt/user/appdata/cacherr",
              "Settings, the state database and logs. Only this folder is given to PUID:PGID."),
    PathEntry("Media on the array", "/mediasource", "/mnt/user0/media",
              "The ARRAY side of your media share: /mnt/user0/SHARE (every array disk) or /mnt/diskN/SHARE. "
              "Never /mnt/user/SHARE, which mixes cache and array. Matches REAL_SOURCE=/mediasource."),
    PathEntry("Media on the cache", CACHE_PATH, CACHE_PATH,
              "The CACHE side of the same share: /mnt/cache/SHARE, or /mnt/POOL/SHARE for a named pool; the "
              "share must use that pool. Keep the container path equal to the host path and to "
              "CACHE_DESTINATION, so the Mover Tuning list holds paths the plugin matches."),
)


@dataclass(frozen=True)
class OptionalPath:
    name: str
    target: str
    mode: str
    description: str


# What Unraid's notifications need inside the container (UNRAID_NOTIFY_SCRIPT): its notify script and
# the folder it queues messages in. Optional: without them Cacherr only notifies through Apprise.
NOTIFY_PATHS = (
    OptionalPath("Unraid web GUI (notifications)", "/usr/local/emhttp", "ro",
                 "Unraid's notify script lives here (read-only). With /tmp/notifications, Cacherr's messages "
                 "appear as Unraid notifications. Leave both as they are, or remove them to use Apprise only."),
    OptionalPath("Unraid notifications queue", "/tmp/notifications", "rw",  # noqa: S108  (Unraid's own path)
                 "Where Unraid's notify script queues messages; needed with /usr/local/emhttp."),
)


def _variable_default(name: str) -> str:
    """``Default=`` of one setting: the default, or ``default|other`` for booleans and choices."""
    default = _default(name)
    schema = Settings.model_json_schema()["properties"].get(name, {})
    if name in ALWAYS_SHOWN and schema.get("type") == "boolean":
        return "|".join([default, "false" if default == "true" else "true"])
    if name in ALWAYS_SHOWN and "enum" in schema:
        return "|".join([default, *(str(v) for v in schema["enum"] if str(v) != default)])
    return default


def _description(name: str) -> str:
    meta = field_meta(name)
    text = (Settings.model_fields[name].description or "").strip()
    default = _default(name)
    text += f" Default: {default}." if default else " Default: empty."
    if meta.get("restart"):
        text += " Applied at restart."
    if name not in ALWAYS_SHOWN:
        text += " Blank: the default, or the value saved in the dashboard."
    return text


def _config(parent: ET.Element, attrs: dict[str, str], value: str) -> None:
    el = ET.SubElement(parent, "Config", attrs)
    el.text = value


def build_template() -> ET.Element:
    root = ET.Element("Container", {"version": "2"})
    for tag, text in (
        ("Name", "cacherr"),
        ("Repository", IMAGE),
        ("Registry", REGISTRY),
        ("Network", "bridge"),
        ("Shell", "sh"),
        ("Privileged", "false"),
        ("Support", SUPPORT),
        ("Project", PROJECT),
        ("Overview", OVERVIEW),
        ("Category", "MediaServer:Video Tools:Utilities"),
        ("WebUI", f"http://[IP]:[PORT:{WEB_PORT}]/"),
        ("TemplateURL", TEMPLATE_URL),
        ("Icon", ICON),
        # Give a running copy time to finish or be journaled on stop (Docker's default is 10 s).
        ("ExtraParams", "--stop-timeout=120"),
        ("PostArgs", ""),
        ("Requires", "Plex Media Server. Optional: the Mover Tuning plugin (see MOVER_EXCLUDE_FILE)."),
    ):
        ET.SubElement(root, tag).text = text
    _config(root, {"Name": "Web UI", "Target": str(WEB_PORT), "Default": str(WEB_PORT), "Mode": "tcp",
                   "Description": "Dashboard and API. Change the host port only; keep the container port.",
                   "Type": "Port", "Display": "always", "Required": "true", "Mask": "false"}, str(WEB_PORT))
    for p in PATHS:
        _config(root, {"Name": p.name, "Target": p.target, "Default": p.default, "Mode": "rw",
                       "Description": p.description, "Type": "Path", "Display": "always",
                       "Required": "true", "Mask": "false"}, p.default)
    for n in NOTIFY_PATHS:
        _config(root, {"Name": n.name, "Target": n.target, "Default": n.target, "Mode": n.mode,
                       "Description": n.description, "Type": "Path", "Display": "advanced",
                       "Required": "false", "Mask": "false"}, n.target)
    for name in Settings.model_fields:
        shown = name in ALWAYS_SHOWN
        secret = bool(field_meta(name).get("secret"))
        value = "" if secret or not shown else START_VALUES.get(name, _default(name))
        _config(root, {"Name": name, "Target": name, "Default": _variable_default(name), "Mode": "",
                       "Description": _description(name), "Type": "Variable",
                       "Display": "always" if shown else "advanced",
                       "Required": "true" if name in REQUIRED else "false",
                       "Mask": "true" if secret else "false"}, value)
    return root


def template_xml() -> str:
    root = build_template()
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=False)
    return '<?xml version="1.0"?>\n' + body + "\n"


def write_template(path: Path = TEMPLATE_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template_xml(), encoding="utf-8")


def main() -> None:
    write_template()
    print(f"wrote {TEMPLATE_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
