-- Sync with central. sync_config holds the one central this station is bound to: the
-- provisioning file as central wrote it (its client key stays usable without a login, so that
-- batches already built upload while nobody is logged in; it authenticates the station and
-- nothing more), and the station's batch-signing key sealed under the data key (only an
-- officer's login can sign a batch), with its public half and the client certificate's
-- endorsement of it.
CREATE TABLE sync_config (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    station        TEXT NOT NULL,
    provisioning   BLOB NOT NULL,
    signing_key    BLOB NOT NULL,
    signing_public BLOB NOT NULL,
    endorsement    BLOB NOT NULL,
    provisioned_at INTEGER NOT NULL,
    provisioned_by TEXT NOT NULL
);

-- Batches built for central. The file is in the station's outbox; seq is the number the
-- batch's signed header carries, never reused.
CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    records     INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    file        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('ready', 'uploaded', 'refused')),
    upload_url  TEXT NOT NULL DEFAULT '',
    sent        INTEGER NOT NULL DEFAULT 0,
    uploaded_at INTEGER,
    exported_at INTEGER,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX batches_state ON batches (state, seq);

-- A record remembers the batch that carries it, the hash of the copy sent (central's verdicts
-- name it) and central's reason when it was rejected (a code, no personal data).
ALTER TABLE enrollments ADD COLUMN batch_id TEXT REFERENCES batches (id);
ALTER TABLE enrollments ADD COLUMN sent_revision TEXT NOT NULL DEFAULT '';
ALTER TABLE enrollments ADD COLUMN central_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX enrollments_batch ON enrollments (batch_id) WHERE batch_id IS NOT NULL;
