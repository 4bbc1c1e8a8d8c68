"""Lists message ids used by templates and Python code (``python -m web.i18n.extract``).

Finds ``_("...")`` and ``translate(lang, "...")`` calls, the titles registered in the
access catalog and table column titles, so a missing Russian entry is caught by a test
rather than by a user.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_GETTEXT = re.compile(r"""\b_\(\s*(["'])((?:(?!\1).)+)\1""")
_TRANSLATE = re.compile(r"""translate\(\s*[\w.()]+\s*,\s*(["'])((?:(?!\1).)+)\1""")
# Messages shown beside a field: errors["x"] = "...", {"x": "..."} in InvalidInput, "__all__": "..."
_FIELD_ERR = re.compile(r"""(?:errors\[\s*"\w+"\s*\]\s*=\s*|"__all__":\s*|InvalidInput\(\{\s*"\w+":\s*)"([^"{}]+)\"""")
_COLUMN = re.compile(r"""Column\(\s*"[^"]+",\s*"([^"]+)\"""")


def message_ids(roots: tuple[str, ...] = ("web", "dialer", "fs_app", "amd")) -> set[str]:
    from dialer.access import catalog

    found: set[str] = set()
    for top in roots:
        base = ROOT / top
        if not base.exists():
            continue
        for path in base.rglob("*"):
            if path.suffix not in (".py", ".html") or "i18n" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            found.update(_FIELD_ERR.findall(text))
            for rx in (_GETTEXT, _TRANSLATE):
                found.update(m.group(2) for m in rx.finditer(text))
            if path.suffix == ".py":
                found.update(_COLUMN.findall(text))
    found.update(t for _, t in catalog.SECTIONS)
    found.update(p.title for p in catalog.pages())
    found.update(o.title for o in catalog.objects())
    found.update(r.title for r in catalog.reports())
    # Prefixes that code completes with names ("unknown pages: a, b") cannot be looked up whole.
    return {m for m in found if not m.endswith(": ")}


if __name__ == "__main__":
    import json

    from web.i18n import catalog as load_catalog

    ru = load_catalog("ru")
    missing = sorted(m for m in message_ids() if m not in ru)
    json.dump({m: "" for m in missing}, sys.stdout, ensure_ascii=False, indent=1)
