"""Every label, hint, choice and refusal of the campaign objects has a Russian text.

The extractor cannot see these (they live in RefKind descriptions, not in ``_()`` calls).
"""

from __future__ import annotations

from dialer.campaigns.refs import TABLE_LABELS
from dialer.campaigns.telephony import CONNECTOR_MODES
from web.i18n import catalog
from web.views.campaigns.pages import ALL_PAGES


def test_campaign_objects_are_translated() -> None:
    ids: set[str] = {t for _, t in CONNECTOR_MODES} | set(TABLE_LABELS.values())
    for p in ALL_PAGES:
        k = p.kind
        ids |= {k.title, k.singular, k.protected_message} | {u.label for u in k.usages}
        for f in k.fields:
            ids |= {f.label, f.help, f.pattern_message} | {t for _, t in f.choices}
    ids |= {
        "too long",
        "must be a whole number",
        "out of range",
        "use the HH:MM format",
        "not one of the choices",
        "already exists",
        "in use by",
        "required",
        "must be a number",
    }
    ids.discard("")
    ru = catalog("ru")
    assert sorted(i for i in ids if i not in ru) == []


def test_rule_summaries_are_translated() -> None:
    from tests.campaigns.test_rules import DOC
    from web.views.campaigns.rule_summary import summary_of

    doc = {
        **DOC,
        "sms_replies": {**DOC["sms_replies"], "holiday": [{"text": "*", "actions": [{"type": "finish"}]}]},
    }
    sections = summary_of(doc)
    assert sections is not None and len(sections) == 4
    ids = {title for title, _ in sections}
    for _, items in sections:
        for item in items:
            ids |= {item["head"][0]} | {msgid for msgid, _ in item["actions"]}
    ru = catalog("ru")
    assert sorted(i for i in ids if i not in ru) == []
    assert summary_of("{bad json") is None
