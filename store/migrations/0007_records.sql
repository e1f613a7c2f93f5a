-- Record codes, the reworked blind index and the supervisor's review queue.

-- The short code printed on the receipt (enroll.RecordCode of the id), so that a lookup by
-- code is one index seek. It is 45 bits of the random id, already stored in the clear: the
-- column tells nothing the id did not. SQL cannot compute it, so rows saved before this
-- migration get theirs in Go right after migrating (Store.backfillCodes).
ALTER TABLE enrollments ADD COLUMN code TEXT NOT NULL DEFAULT '';
CREATE INDEX enrollments_code ON enrollments (code);

-- A name search walks the rarest word's terms in index order and checks each record for
-- every other word: that check is a seek on (enrollment_id, term). Deleting a record's terms
-- uses the same index's first column, so the index on enrollment_id alone goes.
-- The terms themselves change scheme (single name words, ID prefixes); they are rewritten at
-- the first login, when the index key is known (Store.reindex).
DROP INDEX search_terms_enrollment;
CREATE INDEX search_terms_record ON search_terms (enrollment_id, term);

-- The review queue must not say in the clear which records have excused or low-quality
-- fingers. So every completed record is examined once, whatever its fingers
-- (review_examined, reset by each save), and the ids of those a supervisor should see are
-- kept in one sealed list. The partial index holds only records still to examine.
ALTER TABLE enrollments ADD COLUMN review_examined INTEGER NOT NULL DEFAULT 0;
CREATE INDEX enrollments_unexamined ON enrollments (completed_at, id)
    WHERE review_examined = 0 AND completed_at IS NOT NULL;
CREATE TABLE review_queue (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    pending BLOB NOT NULL -- sealed JSON list of record ids
);

-- The records screen lists by status newest first ("every draft", "every verified record"),
-- alone or with a name: without this index such a search scans one officer at a time.
CREATE INDEX enrollments_status_updated ON enrollments (status, updated_at);
