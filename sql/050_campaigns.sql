-- Campaigns (R4.10), their dial state, callbacks (R4.11), results and the message outbox (R4.9).
--
-- Tables other features read (a contract):
--   campaigns(id, organization_id, name, state, strategy_id, ...)   state: draft|running|paused|
--                                                   stopped|finished; state_reason says why a
--                                                   running campaign dials nothing (min operators).
--   campaign_contacts(campaign_id, contact_id, state, attempts, next_attempt_at, phone_field,
--                     lease_id, lease_until, lease_owner, last_code, ...)
--                                                   one row per contact the campaign dials; state:
--                                                   new|retry|waiting|done. A lease is a deadline,
--                                                   not a lock: a crashed caller's rows come back
--                                                   when lease_until passes.
--   callbacks(id, campaign_id, contact_id, phone_field, due_at, operator_id, state, ...)
--   dial_results(...)                                one row per processed attempt, with its times.
--   outbox(id, kind, ...)                            sms|email|web messages for the channels issue.

CREATE TABLE campaigns (
    id                  serial PRIMARY KEY,
    organization_id     integer REFERENCES organizations (id) ON DELETE RESTRICT,
    name                text NOT NULL,
    description         text NOT NULL DEFAULT '',
    strategy_id         integer REFERENCES strategies (id) ON DELETE RESTRICT,
    code_group_id       integer REFERENCES code_groups (id) ON DELETE RESTRICT,
    list_order          text NOT NULL DEFAULT 'any' CHECK (list_order IN ('any', 'ordered')),
    finite              boolean NOT NULL DEFAULT true,
    weight              integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100),
    start_at            timestamp,                      -- wall time in start_tz; NULL: at once
    start_tz            text NOT NULL DEFAULT 'Europe/Moscow',
    tz_mode             text NOT NULL DEFAULT 'customer' CHECK (tz_mode IN ('customer', 'campaign')),
    campaign_tz         text NOT NULL DEFAULT 'Europe/Moscow',
    call_days           text NOT NULL DEFAULT 'all' CHECK (call_days IN ('all', 'working', 'holiday')),
    callback_hours      integer CHECK (callback_hours BETWEEN 1 AND 8760),
    restriction_id      integer REFERENCES restrictions (id) ON DELETE RESTRICT,
    prefix              text NOT NULL DEFAULT '' CHECK (prefix ~ '^[0-9#*]{0,10}$'),
    integration_id      integer REFERENCES integrations (id) ON DELETE RESTRICT,
    dnc_ignore_callbacks boolean NOT NULL DEFAULT false,
    state               text NOT NULL DEFAULT 'draft'
                        CHECK (state IN ('draft', 'running', 'paused', 'stopped', 'finished')),
    state_reason        text NOT NULL DEFAULT '',
    started_at          timestamptz,
    stopped_at          timestamptz,
    populated_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX campaigns_name_key ON campaigns (lower(name));
CREATE INDEX campaigns_org_idx ON campaigns (organization_id);

CREATE TABLE campaign_lists (
    campaign_id integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    list_id     integer NOT NULL REFERENCES contact_lists (id) ON DELETE RESTRICT,
    position    integer NOT NULL,
    PRIMARY KEY (campaign_id, list_id)
);
CREATE INDEX campaign_lists_list_idx ON campaign_lists (list_id);

CREATE TABLE campaign_dnc_lists (
    campaign_id integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    dnc_list_id integer NOT NULL REFERENCES dnc_lists (id) ON DELETE RESTRICT,
    PRIMARY KEY (campaign_id, dnc_list_id)
);
CREATE INDEX campaign_dnc_lists_dnc_idx ON campaign_dnc_lists (dnc_list_id);

-- Up to four filters; `percent` of the contacts each filter matches in a list are dialed.
CREATE TABLE campaign_filters (
    campaign_id integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    position    integer NOT NULL CHECK (position BETWEEN 1 AND 4),
    filter_id   integer NOT NULL REFERENCES contact_filters (id) ON DELETE RESTRICT,
    percent     integer NOT NULL DEFAULT 100 CHECK (percent BETWEEN 1 AND 100),
    PRIMARY KEY (campaign_id, position)
);
CREATE INDEX campaign_filters_filter_idx ON campaign_filters (filter_id);

CREATE TABLE campaign_contacts (
    campaign_id        integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id         bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    list_pos           integer NOT NULL DEFAULT 0,
    state              text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'retry', 'waiting', 'done')),
    attempts           integer NOT NULL DEFAULT 0,
    attempts_on_number integer NOT NULL DEFAULT 0,
    chain_step         integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT '-infinity',
    phone_field        text NOT NULL,
    lease_id           text,
    lease_until        timestamptz,
    lease_owner        text,
    last_code          text,
    last_attempt_at    timestamptz,
    finish_reason      text NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, contact_id)
) WITH (fillfactor = 80);  -- room for HOT updates: leases rewrite rows all day
-- The selector reads fresh rows in list order and retries in due order; both stay small
-- relative to the table once a campaign has run a while.
CREATE INDEX campaign_contacts_fresh_idx ON campaign_contacts (campaign_id, list_pos, contact_id)
    WHERE state = 'new';
CREATE INDEX campaign_contacts_retry_idx ON campaign_contacts (campaign_id, next_attempt_at)
    WHERE state = 'retry';
CREATE INDEX campaign_contacts_contact_idx ON campaign_contacts (contact_id);

-- The distinct time zones of a campaign's phones (all fields), refreshed when contacts are
-- added: the selector decides which zones are inside the call window now without scanning
-- the phones.
CREATE TABLE campaign_zones (
    campaign_id integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    tz          text NOT NULL,  -- '' for phones whose zone is unknown
    PRIMARY KEY (campaign_id, tz)
);

CREATE TABLE callbacks (
    id           bigserial PRIMARY KEY,
    campaign_id  integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id   bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    phone_field  text NOT NULL,
    due_at       timestamptz NOT NULL,
    operator_id  integer REFERENCES operators (id) ON DELETE SET NULL,  -- NULL: any operator
    state        text NOT NULL DEFAULT 'planned'
                 CHECK (state IN ('planned', 'done', 'cancelled', 'expired')),
    note         text NOT NULL DEFAULT '',
    source       text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'import', 'operator', 'api')),
    lease_id     text,
    lease_until  timestamptz,
    lease_owner  text,
    created_by   integer REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz
);
CREATE INDEX callbacks_due_idx ON callbacks (campaign_id, due_at) WHERE state = 'planned';
CREATE INDEX callbacks_contact_idx ON callbacks (contact_id);
CREATE INDEX callbacks_lease_idx ON callbacks (lease_id) WHERE state = 'planned';

CREATE TABLE dial_results (
    id             bigserial PRIMARY KEY,
    campaign_id    integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id     bigint NOT NULL,
    callback_id    bigint,
    call_id        text NOT NULL DEFAULT '',
    lease_id       text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    phone_field    text NOT NULL DEFAULT '',
    system_code    text NOT NULL DEFAULT '',
    operator_code  text,
    code           text NOT NULL,
    operator_id    text,
    day_type       text NOT NULL,
    actions        jsonb NOT NULL DEFAULT '[]',
    stale          boolean NOT NULL DEFAULT false,  -- the lease had expired: recorded, not applied
    started_at     timestamptz,
    answered_at    timestamptz,
    connected_at   timestamptz,
    ended_at       timestamptz,
    processed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dial_results_campaign_idx ON dial_results (campaign_id, processed_at);
CREATE INDEX dial_results_contact_idx ON dial_results (contact_id, processed_at);

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('sms', 'email', 'web')),
    campaign_id  integer REFERENCES campaigns (id) ON DELETE SET NULL,
    contact_id   bigint,
    template_id  integer,
    recipient    text NOT NULL DEFAULT '',
    url          text NOT NULL DEFAULT '',
    method       text NOT NULL DEFAULT '',
    payload      jsonb NOT NULL DEFAULT '{}',
    wait_reply   boolean NOT NULL DEFAULT false,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE state = 'pending';

-- Deleting an object a campaign uses is refused with the campaign's name, whichever module
-- deletes it: the error is a foreign-key violation (so their handlers turn it into a
-- conflict) whose TABLE and DETAIL name the campaigns.
CREATE FUNCTION dialing_refuse_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    names text;
BEGIN
    EXECUTE format(
        'SELECT string_agg(c.name, '', '' ORDER BY c.name) FROM campaigns c WHERE c.id IN (%s)',
        TG_ARGV[0]
    ) INTO names USING OLD.id;
    IF names IS NOT NULL THEN
        RAISE EXCEPTION 'in use by campaign: %', names
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = 'in use by campaign: ' || names,
                  TABLE = 'campaign: ' || names;
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER contact_lists_in_use BEFORE DELETE ON contact_lists FOR EACH ROW
    EXECUTE FUNCTION dialing_refuse_in_use('SELECT campaign_id FROM campaign_lists WHERE list_id = $1');
CREATE TRIGGER dnc_lists_in_use BEFORE DELETE ON dnc_lists FOR EACH ROW
    EXECUTE FUNCTION dialing_refuse_in_use('SELECT campaign_id FROM campaign_dnc_lists WHERE dnc_list_id = $1');
CREATE TRIGGER contact_filters_in_use BEFORE DELETE ON contact_filters FOR EACH ROW
    EXECUTE FUNCTION dialing_refuse_in_use('SELECT campaign_id FROM campaign_filters WHERE filter_id = $1');
CREATE TRIGGER code_groups_in_use BEFORE DELETE ON code_groups FOR EACH ROW
    EXECUTE FUNCTION dialing_refuse_in_use('SELECT id FROM campaigns WHERE code_group_id = $1');
CREATE TRIGGER strategies_in_use BEFORE DELETE ON strategies FOR EACH ROW
    EXECUTE FUNCTION dialing_refuse_in_use('SELECT id FROM campaigns WHERE strategy_id = $1');
CREATE TRIGGER restrictions_in_use BEFORE DELETE ON restrictions FOR EACH ROW
    EXECUTE FUNCTION dialing_refuse_in_use('SELECT id FROM campaigns WHERE restriction_id = $1');
CREATE TRIGGER integrations_in_use BEFORE DELETE ON integrations FOR EACH ROW
    EXECUTE FUNCTION dialing_refuse_in_use('SELECT id FROM campaigns WHERE integration_id = $1');
