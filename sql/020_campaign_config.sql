-- Campaign configuration that does not depend on contacts (R4.1-R4.4):
-- completion codes and their groups, scripts and stored answers, skills, operators.

CREATE TABLE completion_codes (
    id          serial PRIMARY KEY,
    -- a stable key: the call engine sets system codes by key, rule chains refer to codes by key
    key         text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    name        text NOT NULL,
    used_by     text NOT NULL DEFAULT 'operator' CHECK (used_by IN ('operator', 'system')),
    system      boolean NOT NULL DEFAULT false,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX completion_codes_key_key ON completion_codes (key);
CREATE UNIQUE INDEX completion_codes_name_key ON completion_codes (lower(name));

INSERT INTO completion_codes (key, name, used_by, system, description) VALUES
    ('answered_human', 'Ответил человек', 'system', true, 'Вызов принят человеком'),
    ('busy', 'Занято', 'system', true, 'Абонент занят'),
    ('no_answer', 'Нет ответа', 'system', true, 'Абонент не ответил за время ожидания'),
    ('rejected', 'Отклонён', 'system', true, 'Абонент отклонил вызов'),
    ('unallocated', 'Номер не существует', 'system', true, 'Несуществующий номер'),
    ('network_failure', 'Сбой сети', 'system', true, 'Ошибка сети или оператора связи'),
    ('answering_machine', 'Автоответчик', 'system', true, 'Ответил автоответчик'),
    ('robot', 'Робот или секретарь', 'system', true, 'Ответил голосовой робот или секретарь'),
    ('silence', 'Тишина', 'system', true, 'После ответа тишина'),
    ('abandoned_queue', 'Брошен в очереди', 'system', true, 'Клиент положил трубку до соединения с оператором'),
    ('preview_rejected', 'Отклонён при предпросмотре', 'system', true, 'Оператор отклонил контакт при предпросмотре'),
    ('wrapup_timeout', 'Истекло время постобработки', 'system', true, 'Оператор не заполнил карточку вовремя'),
    ('invalid_gateway', 'Ошибка шлюза', 'system', true, 'Коннектор недоступен или отверг вызов'),
    ('sit_tone', 'Сигнал SIT', 'system', true, 'Информационный сигнал сети'),
    ('fax', 'Факс', 'system', true, 'Ответил факс');

CREATE TABLE code_groups (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX code_groups_name_key ON code_groups (lower(name));

CREATE TABLE code_group_members (
    group_id integer NOT NULL REFERENCES code_groups (id) ON DELETE CASCADE,
    code_id  integer NOT NULL REFERENCES completion_codes (id) ON DELETE RESTRICT,
    PRIMARY KEY (group_id, code_id)
);

CREATE TABLE scripts (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX scripts_name_key ON scripts (lower(name));

CREATE TABLE script_questions (
    id         serial PRIMARY KEY,
    script_id  integer NOT NULL REFERENCES scripts (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    identifier text NOT NULL,
    text       text NOT NULL,
    mandatory  boolean NOT NULL DEFAULT false,
    links      text[] NOT NULL DEFAULT '{}',
    UNIQUE (script_id, identifier)
);

-- Answers outlive script edits: the question is kept by identifier, not by row id.
-- call_attempt_id and contact_id get their foreign keys when those tables exist.
CREATE TABLE script_answers (
    id              bigserial PRIMARY KEY,
    call_attempt_id bigint NOT NULL,
    contact_id      bigint NOT NULL,
    script_id       integer REFERENCES scripts (id) ON DELETE SET NULL,
    question        text NOT NULL,
    answer          text NOT NULL DEFAULT '',
    answered_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (call_attempt_id, question)
);
CREATE INDEX script_answers_contact_idx ON script_answers (contact_id);

CREATE TABLE skills (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX skills_name_key ON skills (lower(name));

CREATE TABLE operators (
    id              serial PRIMARY KEY,
    name            text NOT NULL,
    user_id         integer NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    organization_id integer REFERENCES organizations (id) ON DELETE RESTRICT,
    description     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX operators_name_key ON operators (lower(name));
CREATE UNIQUE INDEX operators_user_id_key ON operators (user_id);
CREATE INDEX operators_organization_idx ON operators (organization_id);

CREATE TABLE operator_skills (
    operator_id    integer NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    skill_id       integer NOT NULL REFERENCES skills (id) ON DELETE RESTRICT,
    level          integer NOT NULL CHECK (level BETWEEN 1 AND 100),
    -- overrides the strategy's wrap-up time when set
    wrapup_seconds integer CHECK (wrapup_seconds BETWEEN 0 AND 3600),
    PRIMARY KEY (operator_id, skill_id)
);

-- A number may belong to several operators (no unique on number alone) ...
CREATE TABLE operator_phones (
    operator_id integer NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    number      text NOT NULL,
    PRIMARY KEY (operator_id, number)
);

-- ... but only one signed-in operator uses it at a time: the primary key enforces it.
CREATE TABLE operator_phone_sessions (
    number      text PRIMARY KEY,
    operator_id integer NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    since       timestamptz NOT NULL DEFAULT now()
);

-- Numbers an operator may add at login must match one of these administrator masks.
CREATE TABLE phone_masks (
    id          serial PRIMARY KEY,
    mask        text NOT NULL CHECK (mask ~ '^\+?[0-9X*]+$'),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX phone_masks_mask_key ON phone_masks (mask);
