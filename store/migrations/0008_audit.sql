-- Keyed audit trail (issue 16). The hash chain alone could be recomputed by anyone with the
-- file; from here on every entry also carries an HMAC under a key the file alone does not
-- give (audit.go explains the scheme):
--   mac       the entry's MAC, NULL while it waits to be countersigned (written while no key
--             was in memory)
--   mac_kind  how it was authenticated: live, locked, own, found, old (see auditkey.go)
--   mac_key   0 for the audit key itself, else the label of the locked-session key
--   anchored  the audit head file's sequence number as the writing process knew it, so a head
--             file replaced with an older copy shows
ALTER TABLE audit ADD COLUMN mac BLOB;
ALTER TABLE audit ADD COLUMN mac_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN mac_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN anchored INTEGER NOT NULL DEFAULT 0;

-- The entries a login has to countersign, found without scanning the trail.
CREATE INDEX audit_unsigned ON audit (seq) WHERE mac IS NULL;

-- The audit key, sealed under the data key (NULL until the first login after this migration
-- creates it), and the last entry written before the trail was keyed: those entries are only
-- as trustworthy as the unkeyed chain was, and verify says so.
CREATE TABLE audit_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    keyed_after INTEGER NOT NULL,
    sealed      BLOB,
    created_at  INTEGER
);
INSERT INTO audit_key (id, keyed_after) SELECT 1, coalesce(max(seq), 0) FROM audit;

-- Countersigning fills in the MAC of an entry that has none, and nothing else; every other
-- update is still refused. (The triggers keep honest code honest; the MACs are the protection.)
DROP TRIGGER audit_no_update;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
WHEN OLD.mac IS NOT NULL OR NEW.mac IS NULL
    OR NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at OR NEW.officer IS NOT OLD.officer
    OR NEW.action IS NOT OLD.action OR NEW.record_id IS NOT OLD.record_id OR NEW.detail IS NOT OLD.detail
    OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash OR NEW.anchored IS NOT OLD.anchored
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
