-- Platform: organizations, roles, users, API tokens, audit trail, mail settings (R1).

CREATE TABLE organizations (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));

CREATE TABLE roles (
    id            serial PRIMARY KEY,
    name          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    -- administrator / supervisor / specialist / auditor for the four presets, NULL for custom roles
    preset        text UNIQUE CHECK (preset IN ('administrator', 'supervisor', 'specialist', 'auditor')),
    pages         text[] NOT NULL DEFAULT '{}',
    -- object key -> 'full' | 'read'; a missing key means no access
    objects       jsonb NOT NULL DEFAULT '{}',
    org_access    text NOT NULL DEFAULT 'own' CHECK (org_access IN ('all', 'own', 'list')),
    org_ids       integer[] NOT NULL DEFAULT '{}',
    report_access text NOT NULL DEFAULT 'list' CHECK (report_access IN ('all', 'list')),
    report_keys   text[] NOT NULL DEFAULT '{}',
    -- contact field name -> {"visible": bool, "masked": bool}
    field_rules   jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX roles_name_key ON roles (lower(name));

CREATE TABLE users (
    id                      serial PRIMARY KEY,
    login                   text NOT NULL,
    source                  text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap')),
    password_hash           text,
    full_name               text NOT NULL DEFAULT '',
    email                   text NOT NULL DEFAULT '',
    organization_id         integer REFERENCES organizations (id) ON DELETE RESTRICT,
    position                text NOT NULL DEFAULT '',
    role_id                 integer NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    language                text CHECK (language IN ('ru', 'en')),
    active                  boolean NOT NULL DEFAULT true,
    must_change_password    boolean NOT NULL DEFAULT false,
    temp_password_hash      text,
    temp_password_expires   timestamptz,
    ldap_dn                 text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    password_changed_at     timestamptz,
    last_login_at           timestamptz,
    CHECK (source = 'ldap' OR password_hash IS NOT NULL)
);
CREATE UNIQUE INDEX users_login_key ON users (lower(login));
CREATE INDEX users_organization_idx ON users (organization_id);

CREATE TABLE api_tokens (
    id           serial PRIMARY KEY,
    user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- No foreign key to users: the trail must outlive the accounts it mentions.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     integer,
    login       text NOT NULL DEFAULT '',
    action      text NOT NULL,
    method      text NOT NULL DEFAULT '',
    path        text NOT NULL DEFAULT '',
    input       jsonb NOT NULL DEFAULT '{}',
    status      integer,
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);

CREATE TABLE mail_settings (
    id           integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    host         text NOT NULL DEFAULT '',
    port         integer NOT NULL DEFAULT 25 CHECK (port BETWEEN 1 AND 65535),
    username     text NOT NULL DEFAULT '',
    -- encrypted with the service's secret key; never returned by the API
    password_enc text NOT NULL DEFAULT '',
    sender       text NOT NULL DEFAULT '',
    auth_type    text NOT NULL DEFAULT 'none' CHECK (auth_type IN ('none', 'plain', 'login')),
    domain       text NOT NULL DEFAULT '',
    security     text NOT NULL DEFAULT 'none' CHECK (security IN ('none', 'starttls', 'tls')),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mail_settings (id) VALUES (1);

-- Pages and objects that existed when a role was last saved: a page added by a later
-- release is granted to the presets that should have it without undoing an
-- administrator's deliberate removal of an older one.
ALTER TABLE roles ADD COLUMN known_pages text[] NOT NULL DEFAULT '{}';
ALTER TABLE roles ADD COLUMN known_objects text[] NOT NULL DEFAULT '{}';
