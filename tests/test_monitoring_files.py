"""The monitoring files in deploy/monitoring/ parse and name only metrics the portal exposes.

Plain file checks: no stack, no fixtures from conftest.py.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import Counter, Gauge, Histogram, ProcessCollector

from common import metrics
from common.settings import METRICS_PORTS

MONITORING = Path(__file__).resolve().parent.parent / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana-dashboard.json"
ALERTS = MONITORING / "alerts.yml"
PROMETHEUS = MONITORING / "prometheus.yml"

PORTAL_NAME = re.compile(r"(?<![A-Za-z0-9_:])portal_[a-z_]+")
PROCESS_NAME = re.compile(r"(?<![A-Za-z0-9_:])process_[a-z_]+")
SEVERITIES = {"page", "ticket"}
GRID_WIDTH = 24


def exposed_portal_names() -> dict[str, str]:
    """Every series name common/metrics.py exposes, mapped to the metric's base name.

    prometheus_client keeps a Counter's name without `_total` and exposes `<name>_total`;
    a Histogram exposes `<name>_bucket`, `<name>_sum` and `<name>_count`; a Gauge its name.
    """
    names: dict[str, str] = {}
    for value in vars(metrics).values():
        if isinstance(value, Counter):
            names[f"{value._name}_total"] = value._name
        elif isinstance(value, Histogram):
            for suffix in ("_bucket", "_sum", "_count"):
                names[value._name + suffix] = value._name
        elif isinstance(value, Gauge):
            names[value._name] = value._name
    return names


def process_names() -> set[str]:
    """The process_* series prometheus_client's default process collector exposes."""
    return {sample.name for family in ProcessCollector(registry=None).collect() for sample in family.samples} | {
        # exposed on Linux; listed so that the check holds where /proc is not readable
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_start_time_seconds",
        "process_open_fds",
        "process_max_fds",
    }


def unknown_names(expr: str) -> set[str]:
    known = exposed_portal_names()
    return {name for name in PORTAL_NAME.findall(expr) if name not in known} | (
        set(PROCESS_NAME.findall(expr)) - process_names()
    )


def all_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Panels, rows included, with those inside collapsed rows."""
    found = []
    for panel in panels:
        found.append(panel)
        found.extend(all_panels(panel.get("panels", [])))
    return found


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def dashboard_exprs() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in all_panels(dashboard()["panels"])
        for target in panel.get("targets", [])
    ]


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


# -- metric names ------------------------------------------------------------------------------


def test_the_metric_names_are_read_from_common_metrics() -> None:
    names = exposed_portal_names()
    assert "portal_ready" in names
    assert "portal_messages_rejected_total" in names  # a Counter, exposed with _total
    assert "portal_messages_rejected" not in names
    assert "portal_request_seconds_bucket" in names  # a Histogram
    assert "portal_request_seconds" not in names
    assert unknown_names("rate(portal_messages_rejected[5m])") == {"portal_messages_rejected"}
    assert unknown_names("process_resident_memory_bytes + process_made_up") == {"process_made_up"}


# -- dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_has_the_prometheus_data_source_and_job_variables() -> None:
    board = dashboard()
    assert 36 <= board["schemaVersion"] <= 41
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    assert "job" in variables
    for panel in all_panels(board["panels"]):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]


def test_the_dashboard_panels_have_unique_ids_and_do_not_overlap() -> None:
    panels = all_panels(dashboard()["panels"])
    assert len([panel for panel in panels if panel["type"] != "row"]) >= 10
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] >= 0 and grid["y"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= GRID_WIDTH, f"{panel['title']} is wider than the dashboard"
    for first, second in itertools.combinations(panels, 2):
        a, b = first["gridPos"], second["gridPos"]
        overlap = (
            a["x"] < b["x"] + b["w"]
            and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"]
            and b["y"] < a["y"] + a["h"]
        )
        assert not overlap, f"{first['title']!r} overlaps {second['title']!r}"


def test_the_dashboard_queries_only_metrics_that_exist() -> None:
    exprs = dashboard_exprs()
    assert any(PORTAL_NAME.search(expr) for _, expr in exprs)
    for title, expr in exprs:
        assert not unknown_names(expr), f"panel {title!r}: unknown metrics {unknown_names(expr)} in {expr}"


def test_every_portal_metric_is_on_the_dashboard() -> None:
    shown = {exposed_portal_names()[name] for _, expr in dashboard_exprs() for name in PORTAL_NAME.findall(expr)}
    missing = set(exposed_portal_names().values()) - shown
    assert not missing, f"metrics of common/metrics.py on no panel: {sorted(missing)}"


# -- alert rules -------------------------------------------------------------------------------


def test_every_alert_rule_is_complete() -> None:
    rules = alert_rules()
    assert len(rules) >= 10
    names = [rule.get("alert") for rule in rules]
    assert all(names), "every rule is an alerting rule with a name"
    assert len(names) == len(set(names)), "alert names repeat"
    for rule in rules:
        assert isinstance(rule["expr"], str) and rule["expr"].strip(), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"].get("description", "").strip(), rule["alert"]
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]


def test_the_alert_rules_query_only_metrics_that_exist() -> None:
    for rule in alert_rules():
        assert not unknown_names(rule["expr"]), f"{rule['alert']}: unknown metrics {unknown_names(rule['expr'])}"


def test_the_required_alerts_are_there() -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    joined = "\n".join(exprs.values())
    for needed in (
        "up{",
        "portal_ready",
        "portal_dependency_outage_seconds",
        "portal_consumer_backlog_age_seconds",
        "portal_consumer_pending_messages",
        "portal_messages_rejected_total",
        "portal_consumer_redeliveries_total",
        "portal_outbox_oldest_seconds",
        "portal_notifications_failed_total",
        'reason="uncertain"',
        "portal_db_pool_connections",
        "portal_request_seconds_bucket",
        "portal_http_request_seconds_bucket",
        "portal_http_responses_total",
    ):
        assert needed in joined, f"no alert on {needed}"
    processing_failed = [rule for rule in alert_rules() if 'reason="processing_failed"' in rule["expr"]]
    assert processing_failed and all(rule["labels"]["severity"] == "page" for rule in processing_failed)


# -- scrape configuration ----------------------------------------------------------------------


def test_prometheus_scrapes_each_process_on_its_port() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))
    assert "alerts.yml" in config["rule_files"]
    assert all((MONITORING / name).is_file() for name in config["rule_files"])
    ports: dict[str, set[int]] = {}
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            ports.setdefault(job["job_name"], set()).update(
                int(target.rsplit(":", 1)[1]) for target in static["targets"]
            )
    assert ports == {f"portal-{process}": {port} for process, port in METRICS_PORTS.items()}
