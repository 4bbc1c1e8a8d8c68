"""Discrete-event simulator of a campaign: operators, dials, answers, queues. No database, no switch.

Common random numbers: everything random about the n-th dial (its outcome draw, ring time, AMD verdict,
customer patience, talk and wrap-up) comes from a per-scenario stream indexed by n, so every policy meets
the same contacts in the same order.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Protocol

from bench.pacing.draws import BUSY, INVALID, LIVE, MACHINE, NOANSWER, Draws
from bench.pacing.result import Result, _Window
from bench.pacing.scenario import BUSY_SHARE, INVALID_SHARE, MACHINE_SHARE, Scenario
from fs_app.pacing.types import AbandonCounts, PacingSnapshot

TICK_S = 1.0
MACHINE_WRAP_S = 2.0
# Policies are consulted at the next whole second after any event, and at least this often without one
# (operators approach the end of their calls even when nothing happens).
MAX_IDLE_DECISION_S = 5.0

# Event kinds.
_TICK, _RESOLVE, _PATIENCE, _TALK_END, _WRAP_END, _STAFF = range(6)
# Operator states.
_OFF, _READY, _TALK, _WRAP = range(4)


class Policy(Protocol):
    name: str
    # The AMD lever of the policy's last decision: False sends machine verdicts to operators.
    amd_hangup: bool

    def calls(self, sim: Sim, now: float) -> int: ...

    def on_dial(self, age_s: float, to_operator: bool, now: float, machine_verdict: bool) -> None: ...

    def on_customer(self, wait_s: float | None, now: float) -> None: ...

    def on_live(self, now: float) -> None: ...

    def on_talk(self, duration_s: float, now: float, machine_verdict: bool = False) -> None: ...

    def on_wrap(self, duration_s: float, now: float, machine_verdict: bool = False) -> None: ...


class Sim:
    def __init__(self, scenario: Scenario, policy: Policy, draws: Draws | None = None,
                 grace_s: float = 2.0) -> None:
        self.s = scenario
        self.policy = policy
        self.draws = draws or Draws(scenario)
        self.grace_s = grace_s
        self.res = Result()
        self.now = 0.0
        self._heap: list[tuple[float, int, int, int]] = []
        self._seq = 0
        n = scenario.operators
        self.op_state = [_OFF] * n
        self._op_ids = [str(i) for i in range(n)]
        self.op_since = [0.0] * n
        self.op_leaving = [False] * n
        self.op_call = [-1] * n
        self.ready_q: deque[int] = deque()
        self.talking: dict[int, float] = {}
        self.wrapping: dict[int, float] = {}
        self.logged_in = 0
        self.leaving_count = 0
        self._login_t = 0.0
        self.ringing: dict[int, float] = {}
        self._call_info: dict[int, tuple[int, bool, float]] = {}
        # Calls with a machine verdict that the policy's AMD lever sent to an operator.
        self._lever_routed: set[int] = set()
        self.queued: dict[int, float] = {}
        self._queue: deque[int] = deque()
        self._answer_idx: dict[int, int] = {}
        self.next_dial = 0
        self._tick_gen = 0
        self._next_tick_t = math.inf
        day = scenario.day_s
        self.live_24h = _Window(day)
        self.aband_24h = _Window(day)
        self.live_30d = _Window(30 * day)
        self.aband_30d = _Window(30 * day)
        self.day_start = 0.0
        self.today_live = 0
        self.today_aband = 0

    # -- views for policies ---------------------------------------------------------------------------
    @property
    def ready(self) -> int:
        return len(self.ready_q)

    @property
    def busy(self) -> int:
        return len(self.talking) + len(self.wrapping)

    @property
    def active_operators(self) -> int:
        """Operators a VICIdial-style formula counts: ready or talking (wrap-up counts as paused)."""
        if not self.leaving_count:  # fast path: the ratio baselines read this on every tick
            return len(self.ready_q) + len(self.talking)
        lv = self.op_leaving
        return len(self.ready_q) + sum(1 for i in self.talking if not lv[i])

    @property
    def calls_in_progress(self) -> int:
        return len(self.ringing) + len(self.queued) + len(self.talking)

    def snapshot(self) -> PacingSnapshot:
        now, lv, out = self.now, self.op_leaving, self.leaving_count
        # The per-operator leaving check only when someone is leaving: snapshots are the hot path.
        if out:
            talk = tuple([now - t for i, t in self.talking.items() if not lv[i]])
            wrap = tuple([now - t for i, t in self.wrapping.items() if not lv[i]])
        else:
            talk = tuple([now - t for t in self.talking.values()])
            wrap = tuple([now - t for t in self.wrapping.values()])
        ids = self._op_ids
        return PacingSnapshot(
            ready_operator_ids=tuple([ids[i] for i in self.ready_q]),
            talk_elapsed_s=talk,
            wrap_elapsed_s=wrap,
            not_ready=self.leaving_count,
            ringing_ages_s=tuple([now - t for t in self.ringing.values()]),
            queued_waits_s=tuple([now - t for t in self.queued.values()]),
            abandon_24h=AbandonCounts(float(self.live_24h.count(now)), float(self.aband_24h.count(now))),
            abandon_30d=AbandonCounts(float(self.live_30d.count(now)), float(self.aband_30d.count(now))),
        )

    def today_drop_rate(self) -> float:
        return self.today_aband / self.today_live if self.today_live else 0.0

    # -- engine ----------------------------------------------------------------------------------------
    def _push(self, t: float, kind: int, arg: int) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, arg))

    def _set_logged(self, delta: int) -> None:
        self.res.logged_in_s += self.logged_in * (self.now - self._login_t)
        self._login_t = self.now
        self.logged_in += delta

    def run(self) -> Result:
        s = self.s
        for t, target in s.staffing():
            self._push(t, _STAFF, target)
        self._schedule_tick(0.0)
        end = s.horizon_s
        while self._heap:
            t, _, kind, arg = heapq.heappop(self._heap)
            if t > end:
                break
            self.now = t
            if kind == _TICK:
                if arg == self._tick_gen:
                    self._tick()
                continue
            nxt = math.floor(t) + TICK_S
            if nxt < self._next_tick_t:
                self._schedule_tick(nxt)
            if kind == _RESOLVE:
                self._resolve(arg)
            elif kind == _TALK_END:
                self._talk_end(arg)
            elif kind == _WRAP_END:
                self._wrap_end(arg)
            elif kind == _PATIENCE:
                self._patience(arg)
            else:
                self._staff(arg)
        self.now = end
        self._set_logged(0)
        return self.res

    def _schedule_tick(self, t: float) -> None:
        # Superseded ticks stay in the heap and are skipped by their stale generation number.
        self._tick_gen += 1
        self._next_tick_t = t
        self._push(t, _TICK, self._tick_gen)

    def _tick(self) -> None:
        now = self.now
        if now - self.day_start >= self.s.day_s:
            self.day_start += self.s.day_s
            self.today_live = self.today_aband = 0
        self._schedule_tick(now + MAX_IDLE_DECISION_S)
        n = self.policy.calls(self, now)
        for _ in range(max(n, 0)):
            self._dial()
        active = self.calls_in_progress
        if active > self.res.max_active_calls:
            self.res.max_active_calls = active

    def _dial(self) -> None:
        s, now = self.s, self.now
        k = self.next_dial
        self.next_dial += 1
        draws = self.draws
        if k >= draws.size:
            draws.ensure(k)
        self.res.dials += 1
        self.ringing[k] = now
        if draws.stationary:
            outcome = draws.outcome[k]
            self._call_info[k] = (outcome, draws.to_op[k], now)
            self._push(now + draws.delay[k], _RESOLVE, k)
            return
        c = draws.cols
        live = min(s.live_rate * s.live_multiplier(now), 0.9)
        others = (1.0 - live) / (1.0 - s.live_rate) if s.live_rate < 1 else 0.0
        u = c["u"][k]
        pm = MACHINE_SHARE * others
        pb = BUSY_SHARE * others
        pi = INVALID_SHARE * others
        amd = s.amd_accuracy
        if u < live:
            ring = c["ring_live"][k]
            if ring > s.ring_timeout_s:
                outcome, to_op, delay = NOANSWER, False, s.ring_timeout_s
            elif amd is None:
                outcome, to_op, delay = LIVE, True, ring
            else:
                outcome, delay = LIVE, ring + c["amd_live"][k]
                to_op = c["amd_u"][k] < amd
        elif u < live + pm:
            ring = c["ring_machine"][k]
            if ring > s.ring_timeout_s:
                outcome, to_op, delay = NOANSWER, False, s.ring_timeout_s
            elif amd is None:
                outcome, to_op, delay = MACHINE, True, ring
            else:
                outcome, delay = MACHINE, ring + c["amd_machine"][k]
                to_op = c["amd_u"][k] >= amd
        elif u < live + pm + pb:
            outcome, to_op, delay = BUSY, False, c["busy"][k]
        elif u < live + pm + pb + pi:
            outcome, to_op, delay = INVALID, False, c["invalid"][k]
        else:
            outcome, to_op, delay = NOANSWER, False, c["noans"][k]
        self._call_info[k] = (outcome, to_op, now)
        self._push(now + delay, _RESOLVE, k)

    def _record_live(self, k: int) -> None:
        self.res.human_answers += 1
        self._answer_idx[k] = len(self.res.answered_at)
        self.res.answered_at.append(self.now)
        self.res.connected_at.append(None)
        self.live_24h.add(self.now)
        self.live_30d.add(self.now)
        self.today_live += 1
        self.policy.on_live(self.now)

    def _record_abandon(self) -> None:
        self.aband_24h.add(self.now)
        self.aband_30d.add(self.now)
        self.today_aband += 1

    def _resolve(self, k: int) -> None:
        now = self.now
        dial_t = self.ringing.pop(k)
        outcome, to_op, _ = self._call_info[k]
        # An answered call AMD did not pass on is a machine verdict (timeouts are NOANSWER by now).
        machine_verdict = not to_op and outcome <= MACHINE and self.s.amd_accuracy is not None
        if machine_verdict and not self.policy.amd_hangup:
            # The policy has AMD hang-ups off: the call goes to an operator, a person among them is a
            # normal live answer (no false positive), a machine costs its handling time.
            to_op = True
            self._call_info[k] = (outcome, True, dial_t)
            self._lever_routed.add(k)
        self.policy.on_dial(now - dial_t, to_op, now, machine_verdict)
        if outcome == LIVE:
            self._record_live(k)
            if not to_op:
                # AMD false positive: a person hung up on as a machine.
                self._record_abandon()
                del self._call_info[k]
                return
        if not to_op:
            del self._call_info[k]
            return
        op = self._take_ready()
        if op >= 0:
            self._connect(op, k, 0.0)
        else:
            self.queued[k] = now
            self._queue.append(k)
            self._push(now + self.draws.cols["patience"][k], _PATIENCE, k)

    def _take_ready(self) -> int:
        q = self.ready_q
        while q:
            op = q.popleft()
            if self.op_state[op] == _READY:
                return op
        return -1

    def _connect(self, op: int, k: int, wait: float) -> None:
        now = self.now
        outcome = self._call_info[k][0]
        idle = now - self.op_since[op]
        self.res.idle_periods.append(idle)
        self.op_state[op] = _TALK
        self.op_since[op] = now
        self.op_call[op] = k
        self.talking[op] = now
        c = self.draws.cols
        if outcome == LIVE:
            idx = self._answer_idx.pop(k)
            self.res.connected_at[idx] = now
            if wait > self.grace_s:
                self._record_abandon()
            dur = c["talk"][k]
        else:
            dur = c["mtalk"][k]
        self.policy.on_customer(wait, now)
        self._push(now + dur, _TALK_END, op)

    def _patience(self, k: int) -> None:
        if k not in self.queued:
            return
        del self.queued[k]
        outcome = self._call_info.pop(k)[0]
        if outcome == LIVE:
            self._answer_idx.pop(k, None)
            self._record_abandon()
        self.policy.on_customer(None, self.now)

    def _talk_end(self, op: int) -> None:
        now = self.now
        k = self.op_call[op]
        start = self.talking.pop(op)
        dur = now - start
        outcome = self._call_info[k][0]
        c = self.draws.cols
        if outcome == LIVE:
            self.res.human_talk_s += dur
            wrap = c["wrap"][k]
        else:
            self.res.machine_handle_s += dur
            wrap = MACHINE_WRAP_S
        self.policy.on_talk(dur, now, k in self._lever_routed)
        self.op_state[op] = _WRAP
        self.op_since[op] = now
        self.wrapping[op] = now
        self._push(now + wrap, _WRAP_END, op)

    def _wrap_end(self, op: int) -> None:
        now = self.now
        k = self.op_call[op]
        start = self.wrapping.pop(op)
        dur = now - start
        outcome = self._call_info.pop(k)[0]
        if outcome == LIVE:
            self.res.human_wrap_s += dur
        else:
            self.res.machine_handle_s += dur
        machine_verdict = k in self._lever_routed
        self._lever_routed.discard(k)
        self.policy.on_wrap(dur, now, machine_verdict)
        self.op_call[op] = -1
        self.op_since[op] = now
        if self.op_leaving[op]:
            self.op_leaving[op] = False
            self.leaving_count -= 1
            self.op_state[op] = _OFF
            self._set_logged(-1)
            return
        self.op_state[op] = _READY
        self._serve_or_wait(op)

    def _serve_or_wait(self, op: int) -> None:
        while self._queue:
            k = self._queue.popleft()
            if k in self.queued:
                t = self.queued.pop(k)
                self._connect(op, k, self.now - t)
                return
        self.ready_q.append(op)

    def _staff(self, target: int) -> None:
        active = self.logged_in - self.leaving_count
        if target > active:
            need = target - active
            for op in range(self.s.operators):
                if need == 0:
                    break
                if self.op_leaving[op]:
                    self.op_leaving[op] = False
                    self.leaving_count -= 1
                    need -= 1
            for op in range(self.s.operators):
                if need == 0:
                    break
                if self.op_state[op] == _OFF:
                    self._set_logged(1)
                    self.op_state[op] = _READY
                    self.op_since[op] = self.now
                    self._serve_or_wait(op)
                    need -= 1
        elif target < active:
            drop = active - target
            # Ready operators leave at once, busy ones after their wrap-up.
            while drop and self.ready_q:
                op = self.ready_q.pop()
                if self.op_state[op] != _READY:
                    continue
                self.op_state[op] = _OFF
                self._set_logged(-1)
                drop -= 1
            for op in range(self.s.operators):
                if drop == 0:
                    break
                if self.op_state[op] in (_TALK, _WRAP) and not self.op_leaving[op]:
                    self.op_leaving[op] = True
                    self.leaving_count += 1
                    drop -= 1
