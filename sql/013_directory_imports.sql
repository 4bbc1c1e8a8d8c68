-- Registry imports of the directories (R2.5, R2.6) run as background import jobs.
--
--   import_jobs.target   adds 'phone_codes' and 'number_ranges': the phone-code file and the
--                        numbering-plan registry load like contact files (progress, per-row
--                        errors in import_job_rows), with no contact list or DNC list.

ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_target_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_target_check
    CHECK (target IN ('contacts', 'dnc', 'phone_codes', 'number_ranges'));
CREATE INDEX import_jobs_target_idx ON import_jobs (target, id DESC);
