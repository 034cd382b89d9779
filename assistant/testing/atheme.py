"""An atheme.conf for the test InspIRCd, generated from the example Debian ships (notes §2.4).

Deriving it from the installed example, rather than shipping a copy, keeps it in step with the
installed atheme-services. Every edit must apply: a pattern that no longer matches the example
raises, instead of leaving a stock setting (an HTTP listener on 0.0.0.0, an uplink elsewhere)
in place.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["EXAMPLE", "SERVICES_NAME", "atheme_config", "write_atheme_config"]

EXAMPLE = Path("/usr/share/doc/atheme-services/examples/atheme.conf.example")
SERVICES_NAME = "services.test.local"
# InspIRCd pins its own SID to 001 (<server id="001">); services take another.
SERVICES_NUMERIC = "00S"

_UPLINK = """\
uplink "{uplink}" {{
\thost = "{host}";
\tsend_password = "{password}";
\treceive_password = "{password}";
\tport = {port};
}};"""


def _block(name: str) -> str:
    """Match a whole top-level block ``name { ... };``, which ends at a line ``};``."""
    return rf"(?ms)^{name} \{{\n.*?^\}};"


def _edit(text: str, pattern: str, replacement: str, what: str) -> str:
    changed, count = re.subn(pattern, replacement, text)
    if count == 0:
        raise RuntimeError(f"{EXAMPLE}: cannot {what}: the example changed; update atheme.py")
    return changed


def atheme_config(
    example: str, *, folder: Path, uplink: str, host: str, port: int, password: str, network: str
) -> str:
    """Apply the notes' edits (and raise the services' own rate limits) to the example's text."""
    text = re.sub(r"(?s)/\*.*?\*/", "", example)
    text = re.sub(r"(?m)^\s*//.*\n", "", text)
    text = re.sub(r"\n[ \t]*(?=\n)", "", text)  # the blank lines the comments leave
    text = _edit(
        text,
        r'#loadmodule "modules/protocol/charybdis";',
        'loadmodule "modules/protocol/inspircd";',
        "select the inspircd protocol",
    )
    # Nothing may listen beyond loopback, and the tests need no HTTP or XML-RPC.
    for module in ("misc/httpd", "transport/xmlrpc"):
        text = _edit(
            text,
            rf'(?m)^loadmodule "modules/{module}";',
            f'#loadmodule "modules/{module}";',
            f"disable {module}",
        )
    text = re.sub(r'(?m)^(\s*host = )"0\.0\.0\.0";', r'\1"127.0.0.1";', text)
    serverinfo = re.search(_block("serverinfo"), text)
    if serverinfo is None:
        raise RuntimeError(f"{EXAMPLE}: no serverinfo block; update atheme.py")
    block = serverinfo.group(0)
    block = _edit(block, r'(?m)^(\s*name = )".*";', rf'\1"{SERVICES_NAME}";', "set the name")
    block = _edit(block, r'(?m)^(\s*numeric = )".*";', rf'\1"{SERVICES_NUMERIC}";', "set numeric")
    block = _edit(block, r'(?m)^(\s*netname = )".*";', rf'\1"{network}";', "set netname")
    # No mail is ever sent (auth = none); do not let anything try the MTA.
    block = re.sub(r"(?m)^\s*mta = .*\n", "", block)
    # One address registers many test accounts.
    block = re.sub(r"(?m)^(\s*maxusers = )\d+;", r"\g<1>1000;", block)
    text = text.replace(serverinfo.group(0), block)
    text = _edit(text, _block(r'uplink "irc6\.example\.net"'), "", "drop the IPv6 uplink")
    uplink_block = _UPLINK.format(uplink=uplink, host=host, password=password, port=port)
    text = _edit(text, _block(r'uplink "irc\.example\.net"'), uplink_block, "set the uplink")
    text = _edit(
        text, r'logfile "var/(\w+)\.log"', rf'logfile "{folder}/\1.log"', "move the log files"
    )
    # Tests register accounts and talk to services faster than people do.
    text = re.sub(r"(?m)^(\s*ratelimit_uses = )\d+;", r"\g<1>10000;", text)
    text = re.sub(r"(?m)^(\s*flood_msgs = )\d+;", r"\g<1>10000;", text)
    return text


def write_atheme_config(
    folder: Path, *, uplink: str, host: str, port: int, password: str, network: str
) -> Path:
    """Write ``folder/atheme.conf`` linking services to ``uplink`` at ``host``:``port``.

    Raises:
        RuntimeError: the Debian example is missing (atheme-services not installed) or changed.
    """
    try:
        example = EXAMPLE.read_text(encoding="utf-8")
    except OSError:
        raise RuntimeError(
            f"{EXAMPLE} is missing: apt-get install inspircd atheme-services "
            "(or run `make test`, which installs them)"
        ) from None
    path = folder / "atheme.conf"
    path.write_text(
        atheme_config(
            example,
            folder=folder,
            uplink=uplink,
            host=host,
            port=port,
            password=password,
            network=network,
        ),
        encoding="utf-8",
    )
    return path
