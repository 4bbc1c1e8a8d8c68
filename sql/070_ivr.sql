-- IVR scripts' data (R5.11): quality survey scores the mod_python3 survey script posts
-- through POST /api/v1/ivr/calls/{call_id}/survey.
--
--   ivr_surveys(id, call_id, attempt_id, contact_id, score, user_id, created_at)
--        one row per surveyed call: call_id is the customer leg's uuid (call_attempts.uuid);
--        attempt_id is filled when the attempt row is known. A repeated post for the same
--        call (the script retried after a timeout) replaces the score.

CREATE TABLE ivr_surveys (
    id          bigserial PRIMARY KEY,
    call_id     text NOT NULL UNIQUE CHECK (length(call_id) BETWEEN 1 AND 64),
    attempt_id  bigint REFERENCES call_attempts (id) ON DELETE SET NULL,
    contact_id  bigint REFERENCES contacts (id) ON DELETE SET NULL,
    score       smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    user_id     integer REFERENCES users (id) ON DELETE SET NULL,  -- the API token's user
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ivr_surveys_contact_idx ON ivr_surveys (contact_id);
CREATE INDEX ivr_surveys_created_idx ON ivr_surveys (created_at);
