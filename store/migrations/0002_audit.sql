-- Append-only audit trail. Each entry carries the hash of the one before it, so editing or
-- deleting any entry breaks the chain at that entry (station audit verify finds it). The
-- triggers stop ordinary writes; they are not the protection, the chain is.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL, -- Unix milliseconds, UTC
    officer   TEXT NOT NULL,
    action    TEXT NOT NULL,
    record_id TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
);
CREATE INDEX audit_record ON audit (record_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
