-- Directories (R2.5-R2.7): phone codes, number ranges, the production calendar.
--
--   phone_codes(code, name, description, utc_offset_min, tz)   code: E.164 digit prefix
--                                                              ("7495"); longest prefix wins.
--   number_ranges(code, range_from, range_to, ...)             range_from/range_to: whole
--                                                              E.164 numbers as bigint
--                                                              (79160000000); tz from region.
--   calendar_overrides(day, working, note)                     beats the holidays package.
--   directory_settings(key, value)                             'tz_method': range|code|range_code.

CREATE TABLE phone_codes (
    id              serial PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{1,15}$'),
    name            text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    utc_offset_min  integer NOT NULL CHECK (utc_offset_min BETWEEN -720 AND 840),
    tz              text
);

CREATE TABLE number_ranges (
    id              serial PRIMARY KEY,
    code            text NOT NULL,
    range_from      bigint NOT NULL,
    range_to        bigint NOT NULL,
    capacity        bigint,
    operator        text NOT NULL DEFAULT '',
    region          text NOT NULL DEFAULT '',
    tz              text,
    CHECK (range_from <= range_to),
    UNIQUE (range_from, range_to)
);
CREATE INDEX number_ranges_from_idx ON number_ranges (range_from);

CREATE TABLE calendar_overrides (
    day             date PRIMARY KEY,
    working         boolean NOT NULL,
    note            text NOT NULL DEFAULT ''
);

CREATE TABLE directory_settings (
    key             text PRIMARY KEY,
    value           text NOT NULL
);
INSERT INTO directory_settings (key, value) VALUES ('tz_method', 'range_code');
