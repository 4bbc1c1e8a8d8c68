"""freeswitch/conf parses and says what the engine relies on; the IVR scripts against a stand-in session."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from fs_app.engine.fsconf import gateway_xml
from fs_app.ivr import reminder, survey

CONF = Path(__file__).resolve().parents[2] / "freeswitch" / "conf"


def parse(rel: str) -> ET.Element:
    return ET.parse(CONF / rel).getroot()


def test_every_xml_file_parses() -> None:
    files = sorted(CONF.rglob("*.xml"))
    assert len(files) >= 12
    for path in files:
        ET.parse(path)  # raises on malformed XML


def test_includes_point_at_existing_files() -> None:
    for path in CONF.rglob("*.xml"):
        for el in ET.parse(path).getroot().iter("X-PRE-PROCESS"):
            if el.get("cmd") == "include":
                pattern = el.get("data", "")
                assert list(path.parent.glob(pattern)), f"{path}: include {pattern} matches nothing"


def test_event_socket_on_loopback_with_the_password_from_the_environment() -> None:
    params = {p.get("name"): p.get("value") for p in parse("autoload_configs/event_socket.conf.xml").iter("param")}
    assert params["listen-ip"] == "127.0.0.1" and params["password"] == "$${esl_password}"
    sets = [el.get("data", "") for el in parse("vars.xml").iter("X-PRE-PROCESS")]
    assert "esl_password=printenv DIALER_ESL_PASSWORD" in sets


def test_modules_and_profiles() -> None:
    modules = {m.get("module") for m in parse("autoload_configs/modules.conf.xml").iter("load")}
    assert {"mod_event_socket", "mod_sofia", "mod_say_ru", "mod_python3", "mod_opus", "mod_dptools"} <= modules
    agents = {p.get("name"): p.get("value") for p in parse("sip_profiles/agents.xml").iter("param")}
    assert agents["wss-binding"].endswith("$${agents_wss_port}") and agents["context"] == "dialer"
    assert "OPUS" in parse("vars.xml").findall("X-PRE-PROCESS")[-1].get("data", "")
    gateways = parse("sip_profiles/carrier/example.xml")
    assert gateways.get("name") == "carrier"  # the connector name the engine dials through


def test_dialer_context_has_the_engine_targets() -> None:
    root = parse("dialplan/dialer.xml")
    ctx = next(c for c in root.iter("context") if c.get("name") == "dialer")
    ext = {e.get("name"): e for e in ctx.iter("extension")}
    assert {"agent_login", "queue_hold", "ivr_reminder", "ivr_survey", "ivr_external"} <= set(ext)
    login = [(a.get("application"), a.get("data")) for a in ext["agent_login"].iter("action")]
    assert ("set", "park_after_bridge=true") in login and ("set", "dialer_role=agent") in login
    assert login[-1] == ("park", None)
    assert ("python", "fs_app.ivr.survey") in [(a.get("application"), a.get("data"))
                                                for a in ext["ivr_survey"].iter("action")]
    # A stray uuid_broadcast-style app in the dialplan would break later bridges: none here.
    assert all(a.get("application") != "broadcast" for a in root.iter("action"))


def test_gateway_generator() -> None:
    text = gateway_xml("gw-1", "sip.example.net:5060", username="u", password_env="GW1_PASSWORD")
    root = ET.fromstring(f"<gateways>{text}</gateways>")
    gw = root.find("gateway")
    assert gw is not None and gw.get("name") == "gw-1"
    params = {p.get("name"): p.get("value") for p in gw.iter("param")}
    assert params["password"] == "$${gw_gw_1_password}" and "GW1_PASSWORD" not in params["password"]
    with pytest.raises(ValueError):
        gateway_xml("bad name", "x")


class FakeSession:
    def __init__(self, variables: dict[str, str], digits: str = "") -> None:
        self.variables = dict(variables)
        self.calls: list[tuple[str, ...]] = []
        self.digits = digits

    def ready(self) -> bool:
        return True

    def answer(self) -> None:
        self.calls.append(("answer",))

    def getVariable(self, name: str) -> str | None:
        return self.variables.get(name)

    def setVariable(self, name: str, value: str) -> None:
        self.variables[name] = value

    def execute(self, app: str, arg: str = "") -> None:
        self.calls.append((app, arg))

    def playAndGetDigits(self, *args: Any) -> str:
        self.calls.append(("playAndGetDigits", *map(str, args[:8])))
        return self.digits


@pytest.fixture
def api() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    seen: list[tuple[str, str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            seen.append(("GET", self.path, self.headers.get("Authorization")))
            if self.path == "/api/v1/ivr/contacts/42":
                self._reply(200, {"attrs": {"amount": "1 500,5", "due_date": "2026-12-01"}})
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(("POST", self.path, body))
            self._reply(200, {"ok": True})

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1", seen
    server.shutdown()


def test_reminder_reads_the_contact_and_speaks_amount_and_date(api: Any) -> None:
    url, seen = api
    s = FakeSession({"dialer_api_url": url, "dialer_api_token": "t0k", "sip_h_X-Dialer-Contact-Id": "42"})
    reminder.handler(s, "")
    assert seen == [("GET", "/api/v1/ivr/contacts/42", "Bearer t0k")]
    says = [c[1] for c in s.calls if c[0] == "say"]
    assert says[0] == "ru CURRENCY pronounced 1500.50"
    assert says[1].startswith("ru CURRENT_DATE pronounced ")
    assert s.variables["dialer_ivr_result"] == "informed"


def test_reminder_apologises_when_the_contact_cannot_be_read(api: Any) -> None:
    url, _ = api
    s = FakeSession({"dialer_api_url": url, "dialer_contact": "7"})
    reminder.handler(s, "")
    assert ("playback", reminder.SORRY) in s.calls and s.variables["dialer_ivr_result"] == "no_data"
    assert reminder.amount_text("abc") is None and reminder.date_epoch("31/12") is None


def test_survey_stores_the_score(api: Any) -> None:
    url, seen = api
    s = FakeSession({"dialer_api_url": url, "dialer_call": "c-1", "dialer_contact": "42"}, digits="4")
    survey.handler(s, "")
    assert seen == [("POST", "/api/v1/ivr/calls/c-1/survey", {"score": 4, "contact_id": 42})]
    assert s.variables["dialer_ivr_result"] == "score_4" and ("playback", survey.THANKS) in s.calls


def test_survey_without_a_digit_stores_nothing(api: Any) -> None:
    url, seen = api
    s = FakeSession({"dialer_api_url": url, "dialer_call": "c-1"}, digits="")
    survey.handler(s, "")
    assert seen == [] and s.variables["dialer_ivr_result"] == "no_score"
