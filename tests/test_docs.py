"""User-facing docs keep up with the code: every config key is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from assistant import config

DOCS = Path(__file__).resolve().parents[1] / "docs"
SECTIONS: list[type[BaseModel]] = [
    config.Settings,
    config.OwnerSettings,
    config.IdentityRef,
    config.NetworkSettings,
    config.ChannelSettings,
    config.StorageSettings,
    config.CommandSettings,
    config.WatchedMember,
]


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.__name__)
def test_every_config_key_is_documented(section: type[BaseModel]) -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for name, info in section.model_fields.items():
        if info.exclude:
            continue
        forms = (f"`{name}`", f"`[{name}", f"`[[{name}")
        assert any(form in text for form in forms), (
            f"docs/configuration.md does not mention {section.__name__}.{name}"
        )
        assert info.description, f"{section.__name__}.{name} has no help text"
