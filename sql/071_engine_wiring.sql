-- The call engine follows the running campaigns from the database (dialer.engine_wiring).
-- It re-reads them every few seconds; these notifications make a lifecycle change (start,
-- pause, resume, stop) or a configuration edit reach dialing at once instead.
--
-- Channel `dialer_campaigns`, payload: the table that changed. Contract for other features:
-- nothing to call; the triggers fire on the ordinary writes.

CREATE FUNCTION dialer_campaigns_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dialer_campaigns', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

-- Campaign rows are also written by dialing itself (state_reason, populated_at): only the
-- columns the engine's configuration is built from notify.
CREATE TRIGGER campaigns_engine_notify AFTER INSERT OR DELETE OR UPDATE OF state, strategy_id, prefix, start_at,
    start_tz ON campaigns FOR EACH STATEMENT EXECUTE FUNCTION dialer_campaigns_changed();
CREATE TRIGGER strategies_engine_notify AFTER INSERT OR UPDATE OR DELETE ON strategies
    FOR EACH STATEMENT EXECUTE FUNCTION dialer_campaigns_changed();
CREATE TRIGGER connectors_engine_notify AFTER INSERT OR UPDATE OR DELETE ON connectors
    FOR EACH STATEMENT EXECUTE FUNCTION dialer_campaigns_changed();
CREATE TRIGGER connector_settings_engine_notify AFTER UPDATE ON connector_settings
    FOR EACH STATEMENT EXECUTE FUNCTION dialer_campaigns_changed();
CREATE TRIGGER caller_id_group_members_engine_notify AFTER INSERT OR UPDATE OR DELETE ON caller_id_group_members
    FOR EACH STATEMENT EXECUTE FUNCTION dialer_campaigns_changed();
