"""Gateway files for freeswitch/conf/sip_profiles/carrier/ generated from connectors.

``python -m fs_app.engine.fsconf connectors.json OUTDIR`` where the JSON is a list of
``{"name", "proxy", "username"?, "password_env"?, "register"?}``. Passwords are never written:
``password_env`` names an environment variable that FreeSWITCH reads at start (exec-set).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def gateway_xml(name: str, proxy: str, *, username: str = "", password_env: str = "",
                register: bool = False) -> str:
    if not _NAME.match(name):
        raise ValueError(f"bad gateway name {name!r}")
    lines = [f"<gateway name={quoteattr(name)}>", f"  <param name=\"proxy\" value={quoteattr(proxy)}/>",
             f"  <param name=\"register\" value=\"{'true' if register else 'false'}\"/>",
             "  <param name=\"caller-id-in-from\" value=\"true\"/>", "  <param name=\"ping\" value=\"30\"/>"]
    if username:
        lines.append(f"  <param name=\"username\" value={quoteattr(username)}/>")
    if password_env:
        if not re.match(r"^[A-Z_][A-Z0-9_]*$", password_env):
            raise ValueError(f"bad environment variable name {password_env!r}")
        var = f"gw_{name.replace('.', '_').replace('-', '_')}_password"
        lines.insert(0, f"<X-PRE-PROCESS cmd=\"exec-set\" data=\"{var}=printenv {password_env}\"/>")
        lines.append(f"  <param name=\"password\" value=\"$${{{var}}}\"/>")
    lines.append("</gateway>")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = Path(args[1])
    outdir.mkdir(parents=True, exist_ok=True)
    for item in json.loads(Path(args[0]).read_text(encoding="utf-8")):
        text = gateway_xml(item["name"], item["proxy"], username=item.get("username", ""),
                           password_env=item.get("password_env", ""), register=bool(item.get("register")))
        (outdir / f"{item['name']}.xml").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
