"""The composition root builds the notifier and the Trakt client from settings, and follows reloads."""

from __future__ import annotations

from pathlib import Path

from cacherr.bootstrap import build_container
from cacherr.demo.trakt_emulator import DEMO_CLIENT_ID, TraktEmulator

from .conftest import Receiver


def test_container_wires_notifier_and_trakt(tmp_path: Path, clean_env: dict[str, str],
                                            receiver: Receiver) -> None:
    with TraktEmulator() as trakt:
        env = {"NOTIFY_URLS": receiver.url(), "UNRAID_NOTIFY_SCRIPT": "",
               "TRAKT_CLIENT_ID": DEMO_CLIENT_ID, "TRAKT_URL": trakt.url,
               "TRAKT_LISTS": "movies/trending,shows/trending"}
        container = build_container(tmp_path / "config", env, console_log=False)
        container.store.save({"NOTIFY_LEVEL": "errors", "TRAKT_COUNT": 2})
        notifier = container.notifier()
        assert container.notifier() is notifier and notifier.level == "errors"
        assert notifier.send_test()[0] is True
        client = container.trakt()
        assert client is not None and container.trakt() is client
        assert [p.title for p in client.picks()] == ["Amélie", "Dune", "Example Show", "Breaking Bad"]

        container.store.save({"NOTIFY_LEVEL": "every", "TRAKT_COUNT": 1})  # settings saved from the web
        assert container.notifier() is notifier and notifier.level == "every"
        assert notifier.health()["sent"] == 1  # the health record survives the reload
        assert [p.title for p in container.trakt().picks()] == ["Amélie", "Example Show"]  # type: ignore[union-attr]
        container.close()


def test_no_trakt_without_a_client_id(tmp_path: Path, clean_env: dict[str, str]) -> None:
    container = build_container(tmp_path / "config", {"UNRAID_NOTIFY_SCRIPT": ""}, console_log=False)
    assert container.trakt() is None
    assert container.notifier().health()["configured"] is False
    assert container.notifier().notify("t", "b") is False
    container.close()
