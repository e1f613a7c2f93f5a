-- Search terms carry the record's last change, so a search reads each term's newest matches in
-- index order and stops at the result limit, however many records share a common name.
CREATE TABLE search_terms_new (
    term          BLOB NOT NULL,
    updated_at    INTEGER NOT NULL,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    PRIMARY KEY (term, updated_at, enrollment_id)
) WITHOUT ROWID;
INSERT INTO search_terms_new (term, updated_at, enrollment_id)
    SELECT t.term, e.updated_at, t.enrollment_id FROM search_terms t JOIN enrollments e ON e.id = t.enrollment_id;
DROP TABLE search_terms;
ALTER TABLE search_terms_new RENAME TO search_terms;
CREATE INDEX search_terms_enrollment ON search_terms (enrollment_id);
