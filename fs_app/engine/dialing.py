"""How many to dial (the pacer), which numbers (the contact source), through which connector."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from fs_app.calls.call_states import CallState
from fs_app.calls.causes import SystemCode
from fs_app.calls.operator_states import OperatorEvent, OperatorState
from fs_app.engine.backoff import connector_view
from fs_app.engine.commands import Command, Dial, FetchTargets, Publish, SetLive
from fs_app.engine.lifecycle import call_changed, operator_changed, record
from fs_app.engine.ports import Connector, DialTarget
from fs_app.engine.state import Call, CampaignRun, ConnectorState, EngineState, OperatorSlot, fp_rate_of
from fs_app.esl.commands import customer_originate
from fs_app.pacing import CallState as PaceCall
from fs_app.pacing import CallView, DialMode, OperatorStatus, OperatorView, PacingSnapshot

log = logging.getLogger("dialer.engine")

_RINGING = (CallState.DIALING, CallState.RINGING, CallState.EARLY_MEDIA, CallState.ANSWERED,
            CallState.DETECTING)
_QUEUED = (CallState.HUMAN, CallState.QUEUED, CallState.CONNECTING)


def _status(slot: OperatorSlot) -> OperatorStatus:
    s = slot.state
    if s is OperatorState.READY:
        if slot.call_id is not None:
            return OperatorStatus.RESERVED
        return OperatorStatus.READY if slot.free() else OperatorStatus.NOT_READY
    if s in (OperatorState.RESERVED, OperatorState.RINGING):
        return OperatorStatus.RESERVED
    if s in (OperatorState.TALKING, OperatorState.ON_HOLD):
        return OperatorStatus.TALKING
    if s is OperatorState.WRAP_UP:
        return OperatorStatus.WRAP_UP
    return OperatorStatus.NOT_READY


def snapshot(st: EngineState, run: CampaignRun, now: float) -> PacingSnapshot:
    cfg = run.config
    ops = [OperatorView(s.operator_id, _status(s), now - s.op.since, leaving=s.op.pending is not None)
           for s in st.operators.values() if s.state is not OperatorState.LOGGED_OUT and s.serves(cfg)]
    views: list[CallView] = []
    for call in st.calls.values():
        if call.campaign_id != cfg.campaign_id:
            continue
        if call.state in _RINGING:
            views.append(CallView(PaceCall.RINGING, now - call.started_at))
        elif call.state in _QUEUED:
            views.append(CallView(PaceCall.QUEUED, now - call.started_at, now - call.since))
        else:
            views.append(CallView(PaceCall.CONNECTED, now - call.started_at))
    views.extend(CallView(PaceCall.RINGING, 0.0) for _ in run.pending)
    day, month = run.abandons.counts(now, fp_rate_of(cfg))
    return PacingSnapshot.from_views(ops, views, channels_available=ports_free(st, run, now),
                                     abandon_24h=day, abandon_30d=month)


def ports_free(st: EngineState, run: CampaignRun, now: float) -> int:
    return sum(st.connectors[c.name].available(now) for c in run.config.connectors if c.name in st.connectors)


def tick(st: EngineState, now: float, out: list[Command], new_id: Callable[[], str]) -> None:
    _timers(st, now, out)
    for conn in st.connectors.values():
        state = "backoff" if conn.backoff_until > now else "ok"
        if state != conn.published_state:
            conn.published_state = state
            view = connector_view(conn, now)
            out.append(SetLive(("engine", "connector", conn.connector.name), view))
            out.append(Publish("connector", view))
    if not st.connected:
        return  # the event socket is down: results of new dials would be lost
    for run in st.campaigns.values():
        if not run.running:
            continue
        for waiting in list(run.pending_preview):
            run.pending_preview.remove(waiting)
            dial(st, run, [waiting.target], now, out, new_id, call=waiting)
        if run.pending:
            pending, run.pending = run.pending, []
            dial(st, run, pending, now, out, new_id)
        if run.fetching:
            continue
        decision = run.pacer.decide(snapshot(st, run, now), now, run.params())
        run.expected_wait_s = decision.expected_wait_s
        run.amd_hangup = decision.amd_hangup
        if decision.reason != run.last_reason:
            run.last_reason = decision.reason
            out.append(Publish("pacing", {"campaign_id": run.config.campaign_id, "reason": decision.reason,
                                          "call_rate": decision.call_rate}))
        if run.config.dial_mode is DialMode.PREVIEW:
            ids = tuple(i for i in decision.reserve_operator_ids if st.operators[i].free())
            if ids:
                run.fetching = True
                out.append(FetchTargets(run.config.campaign_id, len(ids), ids))
        elif decision.calls_to_place > 0:
            n = min(decision.calls_to_place, ports_free(st, run, now))
            if n > 0:
                run.fetching = True
                out.append(FetchTargets(run.config.campaign_id, n))


def deliver(st: EngineState, campaign_id: int, targets: Sequence[DialTarget], for_operators: Sequence[str],
            now: float, out: list[Command], new_id: Callable[[], str]) -> None:
    run = st.campaigns.get(campaign_id)
    if run is None:
        return
    run.fetching = False
    if run.config.dial_mode is not DialMode.PREVIEW:
        dial(st, run, targets, now, out, new_id)
        return
    for target, op_id in zip(targets, for_operators, strict=False):
        slot = st.operators.get(op_id)
        if slot is None or not slot.free():
            run.pending.append(target)  # offered to the next reserved operator instead
            continue
        call = Call(new_id(), campaign_id, target, "", "", now, since=now, preview_operator=op_id)
        slot.apply(OperatorEvent.RESERVE, now)
        slot.call_id = call.call_id
        slot.preview_deadline = now + run.config.preview_s
        st.previews[op_id] = call
        out.append(Publish("preview", {"operator_id": op_id, "call_id": call.call_id,
                                       "contact_id": target.contact_id, "phone": target.number_e164,
                                       "attrs": dict(target.attrs), "deadline": slot.preview_deadline}))
        operator_changed(slot, out)


def _pick_connector(st: EngineState, run: CampaignRun, now: float) -> tuple[ConnectorState, Connector] | None:
    """The shared state (capacity, rate) and the campaign's own view of the connector (its prefix).

    ``fill_in_order``: the first connector in the campaign's order with room; otherwise the one
    with the most rate tokens, which spreads calls over all of them.
    """
    best: tuple[ConnectorState, Connector] | None = None
    for c in run.config.connectors:
        conn = st.connectors.get(c.name)
        if conn is None or conn.available(now) <= 0:
            continue
        if run.config.fill_in_order:
            return conn, c
        if best is None or conn.tokens > best[0].tokens:
            best = conn, c
    return best


def dial(st: EngineState, run: CampaignRun, targets: Sequence[DialTarget], now: float, out: list[Command],
         new_id: Callable[[], str], call: Call | None = None) -> None:
    cfg = run.config
    for i, target in enumerate(targets):
        picked = _pick_connector(st, run, now)
        if picked is None:
            # Dialled when a port frees; never dropped (an accepted preview keeps its call and operator).
            if call is not None and call.target is target:
                run.pending_preview.append(call)
            else:
                run.pending.extend(targets[i:])
            return
        conn, c = picked
        caller_id = run.rng.choice(cfg.caller_ids)
        if call is None or call.target is not target:
            call = Call(new_id(), cfg.campaign_id, target, c.name, caller_id, now, since=now)
        call.connector, call.caller_id, call.started_at, call.since = c.name, caller_id, now, now
        number = target.number_e164.removeprefix("+") if c.strip_plus else target.number_e164
        sip_id = call.call_id if cfg.sip_id_type == "call" else str(target.contact_id)
        try:
            originate = customer_originate(
                uuid=call.call_id, gateway=c.gateway, number=number, prefix=c.prefix,
                caller_id_number=caller_id, ring_timeout_s=cfg.ring_timeout_s,
                dialer_vars={"campaign": cfg.campaign_id, "contact": target.contact_id,
                             "call": call.call_id, "lease": target.lease_id},
                sip_headers={"X-Dialer-Contact-Id" if cfg.sip_id_type == "contact" else "X-Dialer-Call-Id": sip_id},
            )
        except ValueError as exc:
            log.warning("campaign %s: contact %s not dialled: %s", cfg.campaign_id, target.contact_id, exc)
            call.code, call.ended_at, call.state = SystemCode.UNALLOCATED.value, now, CallState.FAILED
            record(call, None, out)
            call = None
            continue
        conn.tokens -= 1
        conn.active += 1
        st.calls[call.call_id] = call
        st.dials += 1
        out.append(Dial(call.call_id, cfg.campaign_id, target.contact_id, target.number_e164, c.name,
                        caller_id, originate))
        call_changed(call, out)
        call = None


def _timers(st: EngineState, now: float, out: list[Command]) -> None:
    from fs_app.engine.actions import finish_wrap_up, preview_accept

    for slot in list(st.operators.values()):
        if slot.state is OperatorState.WRAP_UP:
            before = slot.op
            slot.op = slot.op.tick(now)
            if slot.op is not before:
                finish_wrap_up(st, slot, slot.op.code or "", now, out, timed_out=True)
        elif (slot.state is OperatorState.RESERVED and slot.preview_deadline is not None
              and now >= slot.preview_deadline):
            preview_accept(st, slot.operator_id, now, out)  # R5.1: timeout = accept
