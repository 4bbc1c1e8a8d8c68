"""IVR scripts that run inside FreeSWITCH under mod_python3 (``python fs_app.ivr.<name>``).

They import nothing from FreeSWITCH at module level, so tests drive them with a stand-in
``session``; HTTP goes through :mod:`fs_app.ivr.api` (stdlib only: FreeSWITCH's embedded
interpreter has no aiohttp).
"""
