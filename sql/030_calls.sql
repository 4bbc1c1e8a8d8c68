-- Call engine (issue #5): one row per dial attempt, written BEFORE the originate is sent, so a
-- crash between the two leaves a row (state 'dialing', no ended_at) that start-up reconciles
-- with the switch's live channels instead of a call nobody knows about.
--
-- Columns other features read (a contract):
--   call_attempts(id, campaign_id, contact_id, phone, uuid, connector, caller_id, state,
--                 started_at, answered_at, connected_at, ended_at, hangup_cause, sip_status,
--                 amd_verdict, code, operator_code, operator_id, wait_to_operator_ms, lease_id)
--   state: fs_app.calls.call_states.CallState values; code: fs_app.calls.causes.SystemCode values;
--   wait_to_operator_ms: from the moment the person was ready (answer, or the AMD verdict) to
--   the bridge with an operator -- the input of abandon accounting (fs_app.pacing.abandon).

CREATE TABLE call_attempts (
    id                  bigserial PRIMARY KEY,
    campaign_id         integer NOT NULL,
    contact_id          bigint NOT NULL,
    phone               text NOT NULL,
    phone_field         text NOT NULL DEFAULT '',
    lease_id            text NOT NULL DEFAULT '',
    uuid                uuid NOT NULL UNIQUE,
    connector           text NOT NULL,
    caller_id           text NOT NULL,
    state               text NOT NULL DEFAULT 'dialing',
    started_at          timestamptz NOT NULL,
    answered_at         timestamptz,
    connected_at        timestamptz,
    ended_at            timestamptz,
    hangup_cause        text NOT NULL DEFAULT '',
    sip_status          text NOT NULL DEFAULT '',
    amd_verdict         text,
    code                text,
    operator_code       text,
    operator_id         text,
    wait_to_operator_ms integer
);
CREATE INDEX call_attempts_open_idx ON call_attempts (started_at) WHERE ended_at IS NULL;
CREATE INDEX call_attempts_campaign_idx ON call_attempts (campaign_id, started_at);
CREATE INDEX call_attempts_contact_idx ON call_attempts (contact_id, started_at);

-- Optional trail of what the engine saw and did for a call (debugging, disputes).
CREATE TABLE call_events (
    id          bigserial PRIMARY KEY,
    attempt_id  bigint NOT NULL REFERENCES call_attempts (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX call_events_attempt_idx ON call_events (attempt_id, at);
