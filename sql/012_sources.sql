-- Data sources (R3.4): where a contact list is loaded from, and on what schedule.
--
--   data_sources(kind, config, mapping, schedule, ...)   kind: postgres|mssql|folder|sftp|ftp;
--                                                        config holds connection settings (the
--                                                        password sealed by the secret box);
--                                                        schedule: see dialer.scheduler.

CREATE TABLE data_sources (
    id              serial PRIMARY KEY,
    list_id         integer NOT NULL REFERENCES contact_lists (id) ON DELETE CASCADE,
    name            text NOT NULL UNIQUE,
    kind            text NOT NULL CHECK (kind IN ('postgres', 'mssql', 'folder', 'sftp', 'ftp')),
    config          jsonb NOT NULL DEFAULT '{}',
    mapping         jsonb NOT NULL DEFAULT '{}',
    clear_before    boolean NOT NULL DEFAULT false,
    dedupe          boolean NOT NULL DEFAULT false,
    schedule        jsonb NOT NULL DEFAULT '{"kind": "manual"}',
    last_run_at     timestamptz,
    last_status     text NOT NULL DEFAULT '',
    last_message    text NOT NULL DEFAULT '',
    last_job_id     bigint REFERENCES import_jobs (id) ON DELETE SET NULL,
    last_file       text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
