from __future__ import annotations

from web.i18n import catalog, translate
from web.i18n.extract import message_ids


def test_every_message_has_a_russian_translation() -> None:
    ru = catalog("ru")
    missing = sorted(m for m in message_ids() if m not in ru)
    assert missing == [], "add to web/i18n/ru/<feature>.json: " + ", ".join(missing[:20])


def test_placeholders_survive_translation() -> None:
    for msgid, text in catalog("ru").items():
        for name in ("{n}", "{name}", "{mb}", "{ref}", "{p}", "{to}", "{login}", "{password}", "{hours}", "{url}"):
            assert (name in msgid) == (name in text), f"{msgid!r} -> {text!r} ({name})"


def test_english_falls_back_to_the_id() -> None:
    assert translate("en", "Users") == "Users"
    assert translate("ru", "Users") == "Пользователи"
