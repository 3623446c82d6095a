"""The production files an operator copies keep what the README promises (plain file checks)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PRODUCTION = Path(__file__).resolve().parent.parent / "deploy" / "production"
NGINX = PRODUCTION / "nginx" / "portal.conf"

# What would write a query string (a patient's name in a filter) into the proxy's log.
QUERY_VARIABLES = re.compile(r"\$(request|request_uri|args|query_string|arg_\w+|is_args)\b")
LOG_FORMAT = re.compile(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);")
ACCESS_LOG = re.compile(r"access_log\s+(\S+)(?:\s+(\w+))?\s*;")


@pytest.mark.unit
def test_the_proxy_logs_no_query_string() -> None:
    """Issue 12: the README did not tell operators to keep query strings out of the proxy's log;
    the proxy's configuration now ships with a format that cannot write one."""
    config = NGINX.read_text()
    formats = dict(LOG_FORMAT.findall(config))
    assert formats, "no log_format"
    for name, text in formats.items():
        assert not QUERY_VARIABLES.search(text), f"log_format {name} writes query strings"
    logs = ACCESS_LOG.findall(config)
    assert logs and all(form in formats for _, form in logs), "an access_log without the portal's format"


@pytest.mark.unit
def test_the_proxy_names_the_browser_and_never_buffers_the_live_updates() -> None:
    config = NGINX.read_text()
    assert config.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == config.count("proxy_pass ")
    events = config[config.index("location = /events") :]
    assert "proxy_buffering off;" in events.split("}")[0]
