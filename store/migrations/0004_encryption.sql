-- Encryption at rest. Personal data and images are sealed with the data key (AES-256-GCM,
-- record id and field name as associated data); searches go through keyed blind indexes.
-- The data key is wrapped once per officer (key_slots) plus a recovery slot. Databases from
-- before this migration held plain records; Open refuses to upgrade one that has officers, so
-- the tables rebuilt here are empty.
DROP TABLE search_terms;
DROP TABLE images;
DROP TABLE enrollments;
DROP TABLE officers;

-- Officers. The password is checked by opening the officer's key slot: no separate hash.
CREATE TABLE officers (
    username      TEXT PRIMARY KEY,
    full_name     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('officer', 'supervisor')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    must_change   INTEGER NOT NULL DEFAULT 0, -- set by a supervisor's reset
    created_at    INTEGER NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER NOT NULL DEFAULT 0
);

-- The data key, wrapped: 'officer:<username>' slots under argon2id(password, salt, params),
-- the 'recovery' slot under the recovery key printed at set-up.
CREATE TABLE key_slots (
    name       TEXT PRIMARY KEY,
    salt       BLOB NOT NULL,
    params     TEXT NOT NULL, -- argon2id m=,t=,p= for password slots; '' for recovery
    wrapped    BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- One small row per enrollment: what lists sort and filter by in the clear (no personal data),
-- and the sealed summary (name, ID number, phone) they show. The record itself is in
-- documents, its images in images, both sealed.
CREATE TABLE enrollments (
    id           TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    step         INTEGER NOT NULL,
    station      TEXT NOT NULL,
    officer      TEXT NOT NULL REFERENCES officers (username),
    created_at   INTEGER NOT NULL, -- Unix milliseconds, UTC
    updated_at   INTEGER NOT NULL,
    completed_at INTEGER,
    delivered_at INTEGER,          -- central confirmed it (until sync: a supervisor's mark)
    delivered_by TEXT NOT NULL DEFAULT '',
    purged_at    INTEGER,
    summary      BLOB              -- sealed; NULL once purged
);
CREATE INDEX enrollments_created ON enrollments (created_at);
CREATE INDEX enrollments_status ON enrollments (status, officer, updated_at);
CREATE INDEX enrollments_updated ON enrollments (updated_at);
CREATE INDEX enrollments_delivered ON enrollments (delivered_at) WHERE delivered_at IS NOT NULL AND purged_at IS NULL;

CREATE TABLE documents (
    enrollment_id TEXT PRIMARY KEY REFERENCES enrollments (id) ON DELETE CASCADE,
    data          BLOB NOT NULL -- sealed JSON
);

-- Blind search terms: HMAC(index key, normalised term), 16 bytes.
CREATE TABLE search_terms (
    term          BLOB NOT NULL,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    PRIMARY KEY (term, enrollment_id)
) WITHOUT ROWID;
CREATE INDEX search_terms_enrollment ON search_terms (enrollment_id);

-- Portrait (position 0) and finger images (position 1-10), sealed.
CREATE TABLE images (
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('portrait', 'finger')),
    position      INTEGER NOT NULL,
    media_type    TEXT NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (enrollment_id, kind, position)
);
