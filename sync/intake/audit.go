package intake

import (
	"context"
	"fmt"
	"time"

	"github.com/wardpolice/enroll/sync/batch"
)

// Audit anchoring (DESIGN §7): every batch carries, in its signed manifest, the station's
// audit head (the number and MAC of its last authenticated audit entry). Central cannot check
// a MAC (the key never leaves the station), but it can see whether the heads a station sent
// only ever moved forward. A station whose database, and the head file beside it, were put
// back to an older copy looks intact to itself; to central it reports a head behind one it
// sent before, reuses a batch number, or reports another MAC for an entry it already reported.
// Nothing is refused for it: the check is for the operator (`central audit check STATION`).

// noteAuditHead keeps the audit head of a batch whose signature has been checked.
func (c *Central) noteAuditHead(ctx context.Context, h batch.Header, m batch.Manifest) error {
	if m.Audit == nil {
		return nil
	}
	_, err := c.db.exec(ctx, `INSERT INTO audit_heads (station, batch_id, batch_seq, signing_key, audit_seq, mac, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		h.Station, h.ID, h.Seq, []byte(h.SigningKey), m.Audit.Seq, m.Audit.MAC, c.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("batch %s: keep its audit head: %w", h.ID, err)
	}
	return nil
}

// AuditHeadSeen is one audit head a station reported.
type AuditHeadSeen struct {
	Batch      string
	BatchSeq   int64
	AuditSeq   int64
	MAC        string
	ReceivedAt time.Time
	SigningKey []byte
}

// AuditHeads lists the heads station reported, in the order its batches were numbered.
func (c *Central) AuditHeads(ctx context.Context, station string) ([]AuditHeadSeen, error) {
	rows, err := c.db.query(ctx, `SELECT batch_id, batch_seq, audit_seq, mac, received_at, signing_key FROM audit_heads
		WHERE station = ? ORDER BY batch_seq, received_at, batch_id`, station)
	if err != nil {
		return nil, fmt.Errorf("audit heads of %s: %w", station, err)
	}
	defer rows.Close()
	var out []AuditHeadSeen
	for rows.Next() {
		var h AuditHeadSeen
		var at int64
		if err := rows.Scan(&h.Batch, &h.BatchSeq, &h.AuditSeq, &h.MAC, &at, &h.SigningKey); err != nil {
			return nil, fmt.Errorf("audit heads of %s: %w", station, err)
		}
		h.ReceivedAt = time.UnixMilli(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// CheckAuditHeads says what is wrong with a station's heads (in AuditHeads' order), nothing
// when they only ever moved forward. Heads are compared per signing key: a station set up
// anew gets a new key from a new provisioning file and starts a new trail.
func CheckAuditHeads(heads []AuditHeadSeen) []string {
	var keys []string
	byKey := map[string][]AuditHeadSeen{}
	for _, h := range heads {
		k := string(h.SigningKey)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], h)
	}
	var problems []string
	for _, k := range keys {
		problems = append(problems, checkTrail(byKey[k])...)
	}
	return problems
}

// checkTrail checks the heads one signing key signed, ordered by batch number: each must be
// at or past every head a lower-numbered batch reported.
func checkTrail(hs []AuditHeadSeen) []string {
	var problems []string
	day := func(t time.Time) string { return t.UTC().Format(time.DateTime) }
	for i := 1; i < len(hs); i++ {
		if a, b := hs[i-1], hs[i]; a.BatchSeq == b.BatchSeq {
			problems = append(problems, fmt.Sprintf("batch number %d was used by two batches (%s received %s, %s received %s): "+
				"the station's database went back to before that batch", a.BatchSeq, a.Batch, day(a.ReceivedAt), b.Batch, day(b.ReceivedAt)))
		}
	}
	var top AuditHeadSeen // the furthest head so far
	for i, b := range hs {
		if i > 0 && b.AuditSeq < top.AuditSeq {
			problems = append(problems, fmt.Sprintf("the audit went backwards: batch %d (%s) reported entry %d, after batch %d had reported entry %d: "+
				"the station's history was put back to an older copy or cut short", b.BatchSeq, b.Batch, b.AuditSeq, top.BatchSeq, top.AuditSeq))
		}
		if i == 0 || b.AuditSeq > top.AuditSeq {
			top = b
		}
	}
	first := map[int64]AuditHeadSeen{}
	for _, h := range hs {
		if f, ok := first[h.AuditSeq]; !ok {
			first[h.AuditSeq] = h
		} else if f.MAC != h.MAC {
			problems = append(problems, fmt.Sprintf("audit entry %d was reported with two different MACs (batches %d and %d): "+
				"the station's history was rewritten", h.AuditSeq, f.BatchSeq, h.BatchSeq))
		}
	}
	return problems
}
