-- Telephony directories (R2.1-R2.4): caller IDs and their groups, connectors, IVR numbers, queues.

CREATE TABLE caller_ids (
    id          serial PRIMARY KEY,
    number      text NOT NULL CHECK (number ~ '^\+?[0-9]{3,20}$'),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX caller_ids_number_key ON caller_ids (number);

CREATE TABLE caller_id_groups (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX caller_id_groups_name_key ON caller_id_groups (lower(name));

CREATE TABLE caller_id_group_members (
    group_id     integer NOT NULL REFERENCES caller_id_groups (id) ON DELETE CASCADE,
    caller_id_id integer NOT NULL REFERENCES caller_ids (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, caller_id_id)
);

CREATE TABLE connectors (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    address     text NOT NULL,
    position    integer NOT NULL DEFAULT 1 CHECK (position >= 0),
    capacity    integer NOT NULL CHECK (capacity > 0),
    active      boolean NOT NULL DEFAULT true,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX connectors_name_key ON connectors (lower(name));

-- The selection mode is one system-wide setting, kept in one row.
CREATE TABLE connector_settings (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    mode text NOT NULL DEFAULT 'first' CHECK (mode IN ('first', 'last', 'round_robin'))
);
INSERT INTO connector_settings (id, mode) VALUES (true, 'first');

CREATE TABLE ivr_numbers (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    number      text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ivr_numbers_name_key ON ivr_numbers (lower(name));

CREATE TABLE queues (
    id              serial PRIMARY KEY,
    name            text NOT NULL,
    number          text NOT NULL,
    password        text NOT NULL DEFAULT '',
    identifier      text NOT NULL,
    organization_id integer REFERENCES organizations (id) ON DELETE RESTRICT,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX queues_name_key ON queues (lower(name));
CREATE UNIQUE INDEX queues_identifier_key ON queues (identifier);
