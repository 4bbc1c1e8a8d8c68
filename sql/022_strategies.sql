-- Integrations, restrictions, notification templates (R4.5-R4.7) and strategies (R4.8, R4.9).

CREATE TABLE integrations (
    id              serial PRIMARY KEY,
    name            text NOT NULL,
    url_template    text NOT NULL,
    description     text NOT NULL DEFAULT '',
    active          boolean NOT NULL DEFAULT true,
    open_by_default boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX integrations_name_key ON integrations (lower(name));

CREATE TABLE restrictions (
    id              serial PRIMARY KEY,
    name            text NOT NULL,
    method          text NOT NULL DEFAULT 'GET' CHECK (method IN ('GET', 'POST')),
    url_template    text NOT NULL,
    expected_result text NOT NULL,
    description     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX restrictions_name_key ON restrictions (lower(name));

CREATE TABLE notification_templates (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('sms', 'email')),
    subject     text NOT NULL DEFAULT '',
    body        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX notification_templates_name_key ON notification_templates (lower(name));

CREATE TABLE strategies (
    id                    serial PRIMARY KEY,
    name                  text NOT NULL,
    description           text NOT NULL DEFAULT '',
    dial_mode             text NOT NULL DEFAULT 'progressive'
                          CHECK (dial_mode IN ('preview', 'progressive', 'predictive', 'agentless')),
    calls_per_operator    numeric(5, 2) NOT NULL DEFAULT 1 CHECK (calls_per_operator > 0),
    -- predictive only; NULL lets the pacing model choose
    intensity             text CHECK (intensity IN ('low', 'normal', 'high')),
    sip_id_type           text NOT NULL DEFAULT 'contact' CHECK (sip_id_type IN ('contact', 'call')),
    skill_id              integer REFERENCES skills (id) ON DELETE RESTRICT,
    default_code_id       integer REFERENCES completion_codes (id) ON DELETE RESTRICT,
    -- customer's local time; end < start means the window crosses midnight
    window_start          time NOT NULL DEFAULT '09:00',
    window_end            time NOT NULL DEFAULT '21:00',
    ring_timeout          integer NOT NULL DEFAULT 30 CHECK (ring_timeout BETWEEN 15 AND 300),
    caller_id_group_id    integer REFERENCES caller_id_groups (id) ON DELETE RESTRICT,
    max_attempts          integer CHECK (max_attempts BETWEEN 1 AND 1000),
    min_operators         integer CHECK (min_operators >= 0),
    max_operators         integer CHECK (max_operators >= 0),
    wrapup_seconds        integer CHECK (wrapup_seconds BETWEEN 0 AND 3600),
    max_ports             integer CHECK (max_ports > 0),
    amd                   boolean NOT NULL DEFAULT false,
    quality_ivr_id        integer REFERENCES ivr_numbers (id) ON DELETE RESTRICT,
    quality_percent       integer NOT NULL DEFAULT 0 CHECK (quality_percent BETWEEN 0 AND 100),
    preview_seconds       integer CHECK (preview_seconds BETWEEN 1 AND 3600),
    ignore_dnc_callbacks  boolean NOT NULL DEFAULT false,
    script_id             integer REFERENCES scripts (id) ON DELETE RESTRICT,
    -- call-result rule chains, validated by dialer.campaigns.rules before they are stored
    rules                 jsonb NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (min_operators IS NULL OR max_operators IS NULL OR min_operators <= max_operators)
);
CREATE UNIQUE INDEX strategies_name_key ON strategies (lower(name));
