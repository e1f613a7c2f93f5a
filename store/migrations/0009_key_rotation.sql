-- Revocable officers and data key rotation.

-- Key slots become public-key slots (store/keys.go explains why): the slot's public key, its
-- private key (officers: sealed under the password's key; the recovery slot derives it from
-- the recovery key), the generation of the data key sealed in wrapped, and during a rotation
-- the next data key. A slot written before (public NULL) still opens and is converted when its
-- password or key is next used.
ALTER TABLE key_slots ADD COLUMN public BLOB;
ALTER TABLE key_slots ADD COLUMN secret BLOB;
ALTER TABLE key_slots ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
ALTER TABLE key_slots ADD COLUMN next_wrapped BLOB;

-- A disabled officer keeps no slot: their old password must open nothing.
DELETE FROM key_slots WHERE name IN (SELECT 'officer:' || username FROM officers WHERE disabled = 1);

-- The officers' rows and slots as the station last wrote them, sealed under the data key,
-- with the audit entry of that change: an edit of the clear columns, or a row or slot put back
-- from an older copy, is found by comparing (store/officers.go).
CREATE TABLE officer_roster (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
);

-- The data key's generation: every value sealed under it begins with header (format 2, then
-- the generation). A rotation moves it to the next generation when it starts.
CREATE TABLE data_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    header     BLOB NOT NULL
);
INSERT INTO data_key (id, generation, header) VALUES (1, 1, X'0200000001');

-- A rotation under way: records are re-sealed in id order, last_id is the last one done, so a
-- killed rotation resumes where it stopped. The keys themselves are in the slots (the next
-- one in next_wrapped, sealed to each slot's public key), never here.
CREATE TABLE rekey (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    last_id    TEXT NOT NULL DEFAULT '',
    done       INTEGER NOT NULL DEFAULT 0,
    total      INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    started_by TEXT NOT NULL
);

-- Guards for the station's own writers, not against someone with the file (who can drop
-- them): a sealed value must be sealed under the current generation. That refuses a missing
-- value (a key holder closed by the idle lock in the middle of a save gives none, and a
-- search term of none would otherwise be skipped silently by INSERT OR IGNORE) and a value
-- sealed with the previous key by another station process while a rotation runs.
CREATE TRIGGER enrollments_sealed_insert BEFORE INSERT ON enrollments
WHEN NEW.summary IS NOT NULL AND substr(NEW.summary, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER enrollments_sealed_update BEFORE UPDATE OF summary ON enrollments
WHEN NEW.summary IS NOT NULL AND substr(NEW.summary, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER documents_sealed_insert BEFORE INSERT ON documents
WHEN NEW.data IS NULL OR substr(NEW.data, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER documents_sealed_update BEFORE UPDATE OF data ON documents
WHEN NEW.data IS NULL OR substr(NEW.data, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER images_sealed_insert BEFORE INSERT ON images
WHEN NEW.data IS NULL OR substr(NEW.data, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER images_sealed_update BEFORE UPDATE OF data ON images
WHEN NEW.data IS NULL OR substr(NEW.data, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER review_queue_sealed_insert BEFORE INSERT ON review_queue
WHEN NEW.pending IS NULL OR substr(NEW.pending, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER review_queue_sealed_update BEFORE UPDATE OF pending ON review_queue
WHEN NEW.pending IS NULL OR substr(NEW.pending, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER sync_config_sealed_insert BEFORE INSERT ON sync_config
WHEN NEW.signing_key IS NULL OR substr(NEW.signing_key, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER sync_config_sealed_update BEFORE UPDATE OF signing_key ON sync_config
WHEN NEW.signing_key IS NULL OR substr(NEW.signing_key, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER officer_roster_sealed_insert BEFORE INSERT ON officer_roster
WHEN NEW.sealed IS NULL OR substr(NEW.sealed, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER officer_roster_sealed_update BEFORE UPDATE OF sealed ON officer_roster
WHEN NEW.sealed IS NULL OR substr(NEW.sealed, 1, 5) IS NOT (SELECT header FROM data_key WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'not sealed under the current data key: the station was locked or its key rotated; log in again'); END;
CREATE TRIGGER search_terms_blind BEFORE INSERT ON search_terms
WHEN NEW.term IS NULL
BEGIN SELECT RAISE(ABORT, 'no search term: the station was locked; log in again'); END;
