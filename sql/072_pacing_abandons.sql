-- Pacing in production (issue #6): the abandon governor's inputs.
--
-- strategies.amd_false_positive_pct: the share of people the strategy's AMD hangs up on as machines, in
-- percent, when the supervisor knows it better than the model's evaluation (e.g. measured on this
-- campaign's own verified calls). NULL: the active AMD model's human-as-machine rate measured on the
-- frozen evaluation set (amd_eval_runs). Only used while the strategy's AMD is on
-- (dialer.dialing.engine_config); the pacer counts these false positives as abandons.
ALTER TABLE strategies ADD COLUMN amd_false_positive_pct numeric(5, 2)
    CHECK (amd_false_positive_pct BETWEEN 0 AND 50);

-- The call engine seeds each campaign's rolling 24-hour / 30-day abandon windows from the attempts
-- answered in the last 30 days (fs_app.engine.store.PgAttemptStore.answered_attempts); the supervisor
-- console counts the same rows (dialer.workplace.counters).
CREATE INDEX call_attempts_answered_idx ON call_attempts (campaign_id, answered_at) WHERE answered_at IS NOT NULL;
