-- Leased contacts get a state of their own (issue #4, selector follow-up).
--
-- Before this, a leased row kept state new/retry, so it stayed in the selector's partial
-- indexes and every selection walked past all leased rows of the campaign: selections got
-- slower over a campaign's life. Now a lease moves the row to state 'leased' (the state it
-- came from is kept in leased_from), the fresh and retry indexes hold only rows that may be
-- dialed, and an expired lease is found through its own small index and put back.
--
-- Contract change for readers of campaign_contacts.state: new|retry|waiting|done|leased;
-- leased_from is set exactly while state = 'leased'.

ALTER TABLE campaign_contacts DROP CONSTRAINT campaign_contacts_state_check;
ALTER TABLE campaign_contacts ADD COLUMN leased_from text
    CHECK (leased_from IN ('new', 'retry', 'waiting', 'done'));
ALTER TABLE campaign_contacts ADD CONSTRAINT campaign_contacts_state_check
    CHECK (state IN ('new', 'retry', 'waiting', 'done', 'leased'));
ALTER TABLE campaign_contacts ADD CONSTRAINT campaign_contacts_lease_state_check
    CHECK ((state = 'leased') = (leased_from IS NOT NULL));

-- Rows leased under the old scheme: live leases become 'leased'; expired ones are simply
-- released (their lease_id stays, so a late result for them still applies).
UPDATE campaign_contacts SET leased_from = state, state = 'leased'
WHERE lease_until IS NOT NULL AND lease_until >= now();
UPDATE campaign_contacts SET lease_until = NULL, lease_owner = NULL
WHERE lease_until IS NOT NULL AND lease_until < now() AND state <> 'leased';

-- The reclaim step: expired leases of one campaign, oldest deadline first.
CREATE INDEX campaign_contacts_lease_idx ON campaign_contacts (campaign_id, lease_until)
    WHERE state = 'leased';
