-- Answering-machine detection (issue #8, R6.2-R6.4): the sample library («слепки»), model
-- versions of the classifier, their evaluation runs and the labelled recordings retraining uses.
-- Audio is 8 kHz mono signed 16-bit little-endian PCM, what the detector hears.

CREATE TABLE amd_samples (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL,
    status         text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'verified', 'disabled')),
    source         text NOT NULL DEFAULT 'import' CHECK (source IN ('import', 'operator', 'auto')),
    audio          bytea NOT NULL,
    duration_s     double precision NOT NULL,
    sha256         text NOT NULL UNIQUE,
    call_id        text NOT NULL DEFAULT '',
    matches        bigint NOT NULL DEFAULT 0,
    last_match_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     integer REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX amd_samples_status ON amd_samples (status);

CREATE TABLE amd_models (
    version     text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    metrics     jsonb NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT false,
    model       jsonb NOT NULL
);
-- At most one active model: detectors must never be unsure which one to load.
CREATE UNIQUE INDEX amd_models_one_active ON amd_models (active) WHERE active;

CREATE TABLE amd_eval_runs (
    id                     bigserial PRIMARY KEY,
    model_version          text NOT NULL REFERENCES amd_models(version) ON DELETE CASCADE,
    eval_set               text NOT NULL,
    accuracy               double precision NOT NULL,
    human_as_machine_rate  double precision NOT NULL,
    promoted               boolean NOT NULL DEFAULT false,
    note                   text NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now()
);

-- Verified outcomes of real calls (an operator heard a person or a machine): what retraining learns from.
CREATE TABLE amd_training_recordings (
    id          bigserial PRIMARY KEY,
    call_id     text NOT NULL DEFAULT '',
    label       text NOT NULL CHECK (label IN ('human', 'machine')),
    audio       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
