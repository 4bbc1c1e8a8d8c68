"""The call engine's detectors match robots against the product's sample library (issue #8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from amd.audio import read_audio
from amd.library import SampleLibrary, SampleStatus
from tests.engine.rig import config, plan, rig, target

SIM_LIBRARY = Path(__file__).resolve().parents[2] / "amd" / "data" / "sim" / "library"


async def test_a_verified_sample_played_by_the_switch_is_a_robot_verdict_and_counts_a_match() -> None:
    sample = read_audio(SIM_LIBRARY / "robot03.wav")
    matched: list[str] = []
    library = SampleLibrary(on_match=lambda sid, at: matched.append(sid))
    library.add("robot03", sample, SampleStatus.VERIFIED)
    # The robot picks up, pauses as a recording does, then plays the sample.
    call = np.concatenate([np.zeros(2400, dtype=np.int16), sample, np.zeros(8000, dtype=np.int16)])
    async with rig(config(amd=True), targets=[target(1)], amd=True) as r:
        r.driver.amd_library = library
        assert r.switch.audio is not None
        r.switch.audio.library["robot"] = [call.astype("<i2").tobytes()]
        r.pin(1, plan("robot", machine_s=20.0))
        await r.nailed("7")
        res = await r.result(1, within_s=15)
    assert res.amd_verdict == "robot" and res.operator_id is None
    assert matched == ["robot03"]
    assert library.stats("robot03").matches == 1
