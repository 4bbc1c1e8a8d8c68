"""The pure engine core: events, verdicts, actions and ``now`` in; command dataclasses out.

No I/O here: the driver feeds it and carries out what it returns, so every flow can be tested
by feeding recorded-shape events and comparing the commands.
"""

from __future__ import annotations

import logging
import random
import uuid as uuidlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from fs_app.calls.call_states import CallEvent, CallState
from fs_app.calls.causes import code_for_amd
from fs_app.calls.operator_states import OperatorEvent
from fs_app.engine import actions
from fs_app.engine.abandons import Attempt, CampaignAbandons
from fs_app.engine.commands import Api, Command, LoadAbandonHistory, Publish
from fs_app.engine.dialing import deliver, tick
from fs_app.engine.flow import customer_gone, on_event
from fs_app.engine.lifecycle import LEVER_VERDICTS, call_changed
from fs_app.engine.ports import CampaignConfig, DialTarget, OperatorMode
from fs_app.engine.routing import route_ready
from fs_app.engine.state import CampaignRun, ConnectorState, EngineState, params_for
from fs_app.esl.commands import uuid_kill
from fs_app.esl.events import Event
from fs_app.pacing import Pacer
from fs_app.pacing.abandon import WINDOW_30D_S

log = logging.getLogger("dialer.engine")

EavesdropMode = actions.EavesdropMode
ControlError = actions.ControlError


class EngineCore:
    def __init__(self, *, new_id: Callable[[], str] | None = None, seed: int | None = None) -> None:
        self.st = EngineState()
        self._new_id = new_id or (lambda: str(uuidlib.uuid4()))
        self._seed = seed

    # -- campaigns ---------------------------------------------------------------------------------
    def start_campaign(self, config: CampaignConfig, now: float) -> list[Command]:
        out: list[Command] = []
        run = self.st.campaigns.get(config.campaign_id)
        if run is None:
            run = CampaignRun(config, Pacer(params_for(config)), rng=random.Random(self._seed),
                              abandons=CampaignAbandons(config.connect_grace_s))
            self.st.campaigns[config.campaign_id] = run
            # The governor must see the abandons of earlier runs (the 30-day window outlives any process):
            # attempts started before now are theirs, later ones this run counts as they end, so none
            # is counted twice. A stopped and restarted campaign keeps its run, and with it the counts.
            out.append(LoadAbandonHistory(config.campaign_id, now - WINDOW_30D_S, now))
        run.config, run.running = config, True
        run.abandons.grace_s = config.connect_grace_s
        for c in config.connectors:
            conn = self.st.connectors.get(c.name)
            if conn is None:
                self.st.connectors[c.name] = ConnectorState(c, tokens=max(c.cps, 1.0), refilled_at=now)
            else:
                conn.connector = c
        out.append(Publish("campaign", {"campaign_id": config.campaign_id, "running": True,
                                        "mode": config.dial_mode.value}))
        return out

    def seed_abandons(self, campaign_id: int, attempts: Iterable[Attempt], now: float) -> None:
        """The stored history asked for by ``LoadAbandonHistory``: attempts of earlier runs only."""
        run = self.st.campaigns.get(campaign_id)
        if run is None:
            return
        run.abandons.seed((a for a in attempts if a.campaign_id == campaign_id), now)

    def update_campaign(self, campaign_id: int, now: float, **changes: object) -> list[Command]:
        """A live edit (call rate, intensity): the pacer takes it at its next decision."""
        run = self._run(campaign_id)
        run.config = replace(run.config, **changes)  # type: ignore[arg-type]
        run.abandons.grace_s = run.config.connect_grace_s
        return [Publish("campaign", {"campaign_id": campaign_id, "running": run.running,
                                     **{k: v for k, v in changes.items() if isinstance(v, (int, float, str))}})]

    def stop_campaign(self, campaign_id: int, now: float) -> list[Command]:
        """Stop dialing; calls in progress finish normally."""
        run = self._run(campaign_id)
        run.running = False
        return [Publish("campaign", {"campaign_id": campaign_id, "running": False})]

    def _run(self, campaign_id: int) -> CampaignRun:
        run = self.st.campaigns.get(campaign_id)
        if run is None:
            raise ControlError(f"campaign {campaign_id} is not running in this engine")
        return run

    # -- the switch ----------------------------------------------------------------------------------
    def on_event(self, event: Event, now: float) -> list[Command]:
        out: list[Command] = []
        on_event(self.st, event, now, out)
        return out

    def on_verdict(self, call_id: str, kind: str, now: float) -> list[Command]:
        """The AMD verdict for an answered call (VerdictKind value; NOTSURE counts as a person)."""
        out: list[Command] = []
        call = self.st.calls.get(call_id)
        if call is None or call.state is not CallState.DETECTING:
            return out
        verdict = kind.strip().lower()
        call.amd_verdict = verdict
        run = self.st.campaigns[call.campaign_id]
        human = verdict in ("human", "notsure")
        # The pacer's AMD lever: while AMD false positives would overspend the abandon budget, a machine
        # verdict goes to an operator like a person (the verdict stays on the record). Only the verdicts
        # that can be a misheard person: a special information tone, a fax or dead air never is one.
        to_operator = human or (verdict in LEVER_VERDICTS and not run.amd_hangup)
        run.pacer.observe_dial(now - call.started_at, to_operator, now, machine_verdict=not human)
        if to_operator:
            call.move(CallEvent.DETECTED_HUMAN, now)
            route_ready(self.st, call, now, out)
            return out
        call.move(CallEvent.DETECTED_ROBOT if verdict == "robot" else CallEvent.DETECTED_MACHINE, now)
        call.code = code_for_amd(verdict).value
        out.append(Api(uuid_kill(call.call_id)))
        call_changed(call, out)
        return out

    def set_connected(self, connected: bool, now: float) -> list[Command]:
        self.st.connected = connected
        return [Publish("switch", {"connected": connected, "dialing": "running" if connected else "paused"})]

    def reconcile(self, live_uuids: Collection[str], now: float) -> list[Command]:
        """After a reconnect: whatever ended while we could not hear is closed, nothing is re-dialled.

        A dial whose channel still exists is simply followed on; one whose channel is gone ended
        unseen (its lease goes back through the result sink, which decides about a retry).
        """
        out: list[Command] = []
        st = self.st
        live = set(live_uuids)
        for call in list(st.calls.values()):
            if call.call_id not in live:
                call.hangup_cause = call.hangup_cause or "LOST_WHILE_DISCONNECTED"
                customer_gone(st, call, now, out)
        for leg, op_id in list(st.legs.items()):
            if leg not in live:
                st.legs.pop(leg, None)
                slot = st.operators.get(op_id)
                if slot is not None and slot.leg == leg:
                    slot.leg = None
        for leg in [u for u in st.supervisors if u not in live]:
            st.supervisors.pop(leg, None)
        for leg in [u for u in st.direct_legs if u not in live]:
            st.direct_legs.pop(leg, None)
        return out

    # -- timers and contacts ---------------------------------------------------------------------------
    def tick(self, now: float) -> list[Command]:
        out: list[Command] = []
        tick(self.st, now, out, self._new_id)
        return out

    def deliver(self, campaign_id: int, targets: Sequence[DialTarget], for_operators: Sequence[str],
                now: float) -> list[Command]:
        out: list[Command] = []
        deliver(self.st, campaign_id, targets, for_operators, now, out, self._new_id)
        return out

    def fetch_failed(self, campaign_id: int) -> None:
        run = self.st.campaigns.get(campaign_id)
        if run is not None:
            run.fetching = False

    # -- operators and supervisors ------------------------------------------------------------------
    def login(self, operator_id: str, now: float, *, mode: OperatorMode = "nailed", endpoint: str = "",
              skills: Mapping[str, int] | None = None, campaigns: Collection[int] = (),
              ready: bool = False) -> list[Command]:
        out: list[Command] = []
        actions.login(self.st, operator_id, now, out, mode=mode, endpoint=endpoint, skills=skills,
                      campaigns=frozenset(campaigns), ready=ready)
        return out

    def set_state(self, operator_id: str, state: str, now: float) -> list[Command]:
        events = {"ready": OperatorEvent.SET_READY, "not_ready": OperatorEvent.SET_NOT_READY,
                  "logout": OperatorEvent.LOGOUT}
        if state not in events:
            raise ControlError(f"unknown operator state {state!r}")
        out: list[Command] = []
        actions.set_state(self.st, operator_id, events[state], now, out)
        return out

    def wrap_up(self, operator_id: str, code: str, now: float) -> list[Command]:
        out: list[Command] = []
        actions.wrap_up(self.st, operator_id, code, now, out)
        return out

    def preview_accept(self, operator_id: str, now: float) -> list[Command]:
        out: list[Command] = []
        actions.preview_accept(self.st, operator_id, now, out)
        return out

    def preview_reject(self, operator_id: str, code: str, now: float) -> list[Command]:
        out: list[Command] = []
        actions.preview_reject(self.st, operator_id, code, now, out)
        return out

    def hold(self, operator_id: str, on: bool, now: float) -> list[Command]:
        out: list[Command] = []
        actions.hold(self.st, operator_id, on, out)
        return out

    def end_call(self, operator_id: str, now: float) -> list[Command]:
        out: list[Command] = []
        actions.end_call(self.st, operator_id, now, out)
        return out

    def transfer(self, operator_id: str, now: float, *, to_operator: str | None = None,
                 to_ivr: str | None = None) -> list[Command]:
        out: list[Command] = []
        actions.transfer(self.st, operator_id, now, out, to_operator=to_operator, to_ivr=to_ivr)
        return out

    def eavesdrop(self, supervisor_id: str, endpoint: str, operator_id: str, mode: EavesdropMode,
                  now: float) -> list[Command]:
        out: list[Command] = []
        actions.eavesdrop(self.st, supervisor_id, endpoint, operator_id, mode, out)
        return out

    def eavesdrop_mode(self, supervisor_id: str, mode: EavesdropMode, now: float) -> list[Command]:
        out: list[Command] = []
        actions.eavesdrop_mode(self.st, supervisor_id, mode, out)
        return out

    def take_over(self, supervisor_id: str, endpoint: str, operator_id: str, now: float) -> list[Command]:
        out: list[Command] = []
        actions.take_over(self.st, supervisor_id, endpoint, operator_id, out)
        return out
