-- Officers who may log in. Passwords are argon2id hashes in PHC string form.
CREATE TABLE officers (
    username      TEXT PRIMARY KEY,
    full_name     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('officer', 'supervisor')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Station-wide settings set at first run (office name, station id).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per enrollment. The columns are what lists and searches need; the rest of the
-- record (without images) is the JSON document in data.
CREATE TABLE enrollments (
    id           TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    step         INTEGER NOT NULL,
    station      TEXT NOT NULL,
    officer      TEXT NOT NULL REFERENCES officers (username),
    personal_id  TEXT NOT NULL DEFAULT '',
    full_name    TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL, -- Unix milliseconds, UTC
    updated_at   INTEGER NOT NULL,
    completed_at INTEGER,
    data         TEXT NOT NULL
);
CREATE INDEX enrollments_personal_id ON enrollments (personal_id);
CREATE INDEX enrollments_phone ON enrollments (phone);
CREATE INDEX enrollments_created ON enrollments (created_at);
CREATE INDEX enrollments_status ON enrollments (status, officer, updated_at);

-- What search looks up: every word-boundary suffix of the name's search key ("n:nguyen van an",
-- "n:van an", "n:an"), the personal ID ("i:…") and the phone ("p:…"). Each row carries the
-- columns a result list shows, so a search is one range scan over these densely packed rows and
-- never visits the enrollment rows, which lie scattered between megabytes of image pages.
CREATE TABLE search_terms (
    term          TEXT NOT NULL,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    step          INTEGER NOT NULL,
    personal_id   TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    phone         TEXT NOT NULL,
    officer       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (term, enrollment_id)
) WITHOUT ROWID;
CREATE INDEX search_terms_enrollment ON search_terms (enrollment_id);

-- Portrait (position 0) and finger images (position 1-10), kept apart from the row so that
-- lists never read image bytes.
CREATE TABLE images (
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('portrait', 'finger')),
    position      INTEGER NOT NULL,
    media_type    TEXT NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (enrollment_id, kind, position)
);
