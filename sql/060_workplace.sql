-- Operator workplace and supervisor console (issue #7).
--
--   workplace_sessions(operator_id, user_id, mode, number, since)
--        one row per operator signed in to the workplace; the primary key is what refuses a
--        second login of the same operator (phone numbers in use stay in
--        operator_phone_sessions, whose key refuses a number used twice).
--   supervisor_messages(id, operator_id, sender_id, body, created_at, read_at)
--   dashboards(id, user_id, name, description, on_home), dashboard_widgets(...)

CREATE TABLE workplace_sessions (
    operator_id integer PRIMARY KEY REFERENCES operators (id) ON DELETE CASCADE,
    user_id     integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mode        text NOT NULL CHECK (mode IN ('softphone', 'simulated', 'phone')),
    number      text NOT NULL,
    since       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE supervisor_messages (
    id          bigserial PRIMARY KEY,
    operator_id integer NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    sender_id   integer REFERENCES users (id) ON DELETE SET NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supervisor_messages_operator_idx ON supervisor_messages (operator_id, created_at);

CREATE TABLE dashboards (
    id          serial PRIMARY KEY,
    user_id     integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    on_home     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dashboards_user_idx ON dashboards (user_id);

CREATE TABLE dashboard_widgets (
    id           serial PRIMARY KEY,
    dashboard_id integer NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    kind         text NOT NULL CHECK (kind IN ('call_states', 'operator_states', 'abandon_rate',
                                               'calls_per_hour', 'occupancy')),
    campaign_id  integer REFERENCES campaigns (id) ON DELETE SET NULL,  -- the filter; NULL: all
    position     integer NOT NULL DEFAULT 0,
    width        integer NOT NULL DEFAULT 1 CHECK (width BETWEEN 1 AND 3),
    height       integer NOT NULL DEFAULT 1 CHECK (height BETWEEN 1 AND 3)
);
CREATE INDEX dashboard_widgets_dashboard_idx ON dashboard_widgets (dashboard_id, position);
