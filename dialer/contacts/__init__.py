"""Contacts (R3) and the directories they depend on (R2.5-R2.7).

Functions take an ``asyncpg.Connection`` and plain values; no aiohttp here. Schema and
the table contract other features rely on: ``sql/010_contacts.sql``.
"""
