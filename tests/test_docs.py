"""User-facing docs keep up with the code: every config key is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from assistant import Detector, config
from assistant.plugins import check_plugin_class

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _sections(model: type[BaseModel]) -> list[type[BaseModel]]:
    found = [model]
    for sub in model.__subclasses__():
        found += _sections(sub)
    return found


# Every table of the configuration, found rather than listed, so a new one cannot be missed.
SECTIONS: list[type[BaseModel]] = _sections(config.Section)[1:]


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


def _python_blocks(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


async def test_the_plugin_guide_example_runs_as_written(tmp_path: Path) -> None:
    plugin_code, test_code = _python_blocks("plugins.md")
    namespace: dict[str, Any] = {}
    exec(compile(plugin_code, "docs/plugins.md", "exec"), namespace)
    exec(compile(test_code, "docs/plugins.md", "exec"), namespace)
    await namespace["test_arrivals"](tmp_path)


def test_the_third_party_openings_example_is_a_valid_plugin() -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```py\n(# assistant_ntfy/__init__.py\n.*?)```", text, flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/plugins.md", "exec"), namespace)
    check_plugin_class("ntfy", namespace["NtfyPlugin"])
    assert issubclass(namespace["LinkShared"], Detector)
    assert namespace["LinkShared"].kind == "link_shared"
    notifier = namespace["NtfyNotifier"]("http://127.0.0.1:9/topic")
    assert notifier.name == "ntfy" and callable(notifier.notify)
