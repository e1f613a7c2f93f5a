-- Records' clear columns and settings authenticated under the data key.

-- A record's row seal (store/rowseal.go): an HMAC, under a key derived from the data key, of
-- its status, step, dates, delivered and purged markers, batch, central's reason, and the
-- hashes of its sealed summary, document and images. An edit with a database tool, or an
-- older copy of any part put back, no longer matches. Rows saved before this migration get
-- theirs at the first login (Store.sealRows).
ALTER TABLE enrollments ADD COLUMN row_mac BLOB;
CREATE TRIGGER enrollments_row_mac BEFORE UPDATE OF row_mac ON enrollments
WHEN NEW.row_mac IS NULL
BEGIN SELECT RAISE(ABORT, 'no row seal: the station was locked; log in again'); END;

-- Central's acknowledgements that arrived while nobody was logged in: a record's status can
-- only change with its row seal, which needs the data key, so they are kept as central
-- signed them and applied at the next login, their signatures checked again then.
CREATE TABLE verdict_inbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    source      TEXT NOT NULL,
    ack         BLOB NOT NULL
);

-- The provisioning (central's address, CA and keys) the station trusts, authenticated when a
-- supervisor provisioned it: a central key swapped in the file would otherwise let forged
-- acknowledgements mark records verified, starting their purge.
ALTER TABLE sync_config ADD COLUMN mac BLOB;

-- The settings a supervisor sets (retention, idle lock, lock-out) and the station's identity,
-- as the station last wrote them, sealed; the clear copies serve the login screen.
CREATE TABLE settings_seal (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
);
CREATE TRIGGER settings_seal_insert BEFORE INSERT ON settings_seal
WHEN NEW.sealed IS NULL OR substr(NEW.sealed, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER settings_seal_update BEFORE UPDATE OF sealed ON settings_seal
WHEN NEW.sealed IS NULL OR substr(NEW.sealed, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
