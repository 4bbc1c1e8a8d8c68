-- Contacts (R3): fields, lists, contacts, normalised phones, imports, DNC, filters.
--
-- Tables other features read (names and columns are a contract):
--   contact_fields(id, name, title, type, ...)      type: phone|email|text|number|date|boolean;
--                                                   `name` is the key inside contacts.attrs.
--   contact_lists(id, organization_id, name, ...)
--   contacts(id bigserial, list_id, organization_id, attrs jsonb, created_at, updated_at)
--                                                   attrs: {"field name": value as text};
--                                                   organization_id is copied from the list.
--   contact_phones(contact_id, list_id, field, e164 text, tz text, tz_source)
--                                                   one row per PHONE value of a contact, E.164
--                                                   ("+79161234567"); tz is an IANA zone
--                                                   ("Europe/Moscow") or "UTC+05:30", NULL when
--                                                   unknown; tz_source is 'range' or 'code'.
--   dnc_lists(id, organization_id, name, description)
--   dnc_entries(dnc_list_id, kind, value)            kind: phone (E.164) | email (lower case) |
--                                                   account (as given, trimmed).
--   contact_filters(id, organization_id, list_id, name, conditions jsonb)
--                                                   compiled by dialer.contacts.filters.

CREATE TABLE contact_fields (
    id              serial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    title           text NOT NULL DEFAULT '',
    type            text NOT NULL CHECK (type IN ('phone', 'email', 'text', 'number', 'date', 'boolean')),
    description     text NOT NULL DEFAULT '',
    mask            text NOT NULL DEFAULT '',
    is_client_id    boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contact_lists (
    id              serial PRIMARY KEY,
    organization_id integer REFERENCES organizations (id) ON DELETE RESTRICT,
    name            text NOT NULL UNIQUE,
    description     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_lists_org_idx ON contact_lists (organization_id);

CREATE TABLE contact_list_fields (
    list_id         integer NOT NULL REFERENCES contact_lists (id) ON DELETE CASCADE,
    field_id        integer NOT NULL REFERENCES contact_fields (id) ON DELETE RESTRICT,
    position        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, field_id)
);
CREATE INDEX contact_list_fields_field_idx ON contact_list_fields (field_id);

CREATE TABLE contacts (
    id              bigserial PRIMARY KEY,
    list_id         integer NOT NULL REFERENCES contact_lists (id) ON DELETE CASCADE,
    organization_id integer REFERENCES organizations (id) ON DELETE RESTRICT,
    attrs           jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_list_idx ON contacts (list_id, id);

CREATE TABLE contact_phones (
    contact_id      bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    list_id         integer NOT NULL,
    field           text NOT NULL,
    e164            text NOT NULL,
    tz              text,
    tz_source       text,
    PRIMARY KEY (contact_id, field)
) WITH (fillfactor = 80);  -- room on each page so re-zoning (tz is not indexed) updates in place (HOT)
CREATE INDEX contact_phones_list_e164_idx ON contact_phones (list_id, e164);
-- text_pattern_ops: serves both equality (DNC, selection) and prefix LIKE (time-zone updates).
CREATE INDEX contact_phones_e164_idx ON contact_phones (e164 text_pattern_ops);

-- A mapping template: file column (header text) -> field name, reusable between imports.
CREATE TABLE import_templates (
    id              serial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    mapping         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE import_jobs (
    id              bigserial PRIMARY KEY,
    target          text NOT NULL CHECK (target IN ('contacts', 'dnc')),
    list_id         integer REFERENCES contact_lists (id) ON DELETE CASCADE,
    dnc_list_id     integer,
    source_name     text NOT NULL DEFAULT '',
    file_path       text,
    options         jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('draft', 'queued', 'running', 'done', 'failed')),
    message         text NOT NULL DEFAULT '',
    rows_total      integer,
    rows_done       integer NOT NULL DEFAULT 0,
    rows_ok         integer NOT NULL DEFAULT 0,
    rows_failed     integer NOT NULL DEFAULT 0,
    created_by      integer REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX import_jobs_list_idx ON import_jobs (list_id, id DESC);

-- Only rows that failed, or were skipped, are stored: a million good rows need no log line.
CREATE TABLE import_job_rows (
    job_id          bigint NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    row_no          integer NOT NULL,
    status          text NOT NULL CHECK (status IN ('error', 'skipped')),
    message         text NOT NULL,
    PRIMARY KEY (job_id, row_no)
);

CREATE TABLE dnc_lists (
    id              serial PRIMARY KEY,
    organization_id integer REFERENCES organizations (id) ON DELETE RESTRICT,
    name            text NOT NULL UNIQUE,
    description     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dnc_entries (
    dnc_list_id     integer NOT NULL REFERENCES dnc_lists (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('phone', 'email', 'account')),
    value           text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dnc_list_id, kind, value)
);
CREATE INDEX dnc_entries_value_idx ON dnc_entries (kind, value);

ALTER TABLE import_jobs
    ADD CONSTRAINT import_jobs_dnc_fk FOREIGN KEY (dnc_list_id) REFERENCES dnc_lists (id) ON DELETE CASCADE;

CREATE TABLE contact_filters (
    id              serial PRIMARY KEY,
    organization_id integer REFERENCES organizations (id) ON DELETE RESTRICT,
    list_id         integer REFERENCES contact_lists (id) ON DELETE CASCADE,
    name            text NOT NULL UNIQUE,
    conditions      jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL DEFAULT now()
);
