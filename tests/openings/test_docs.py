"""Every openings setting is documented where owners look for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from assistant_openings import OpeningsConfig
from pydantic import BaseModel

from assistant.config import OpeningsSettings, PacingThresholds

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("section", [OpeningsSettings, PacingThresholds, OpeningsConfig])
def test_every_openings_key_is_documented(section: type[BaseModel]) -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    text += (DOCS / "plugins.md").read_text(encoding="utf-8")
    for name, info in section.model_fields.items():
        assert f"`{name}`" in text or f"{name} =" in text, f"{section.__name__}.{name}"
        assert info.description
