"""The call engine (issue #5): a pure core that turns switch events into commands, and a driver.

``core.EngineCore`` takes event-socket events, AMD verdicts, operator/supervisor actions and
``now`` and returns command dataclasses (``commands.py``); ``driver.Driver`` does the I/O
(event socket, attempt rows, AMD receiver, live store, timers). ``ports.py`` holds the narrow
interfaces the campaigns code implements; ``memory.py`` in-memory ones for tests and the demo.
"""
