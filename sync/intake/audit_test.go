package intake

import (
	"strings"
	"testing"
)

func TestCheckAuditHeads(t *testing.T) {
	mac := func(c string) string { return strings.Repeat(c, 64) }
	k1, k2 := []byte("key one"), []byte("key two")
	h := func(batch, auditSeq int64, m string, key []byte) AuditHeadSeen {
		return AuditHeadSeen{Batch: "b", BatchSeq: batch, AuditSeq: auditSeq, MAC: m, SigningKey: key}
	}
	cases := []struct {
		name  string
		heads []AuditHeadSeen
		want  []string // one substring per problem
	}{
		{"forward", []AuditHeadSeen{h(1, 5, mac("a"), k1), h(2, 9, mac("b"), k1), h(3, 9, mac("b"), k1)}, nil},
		{"backwards", []AuditHeadSeen{h(1, 5, mac("a"), k1), h(2, 9, mac("b"), k1), h(3, 7, mac("c"), k1)},
			[]string{"batch 3 (b) reported entry 7, after batch 2 had reported entry 9"}},
		{"rewritten", []AuditHeadSeen{h(1, 5, mac("a"), k1), h(2, 5, mac("d"), k1)},
			[]string{"audit entry 5 was reported with two different MACs (batches 1 and 2)"}},
		{"number reused", []AuditHeadSeen{h(1, 5, mac("a"), k1), h(1, 8, mac("e"), k1)},
			[]string{"batch number 1 was used by two batches"}},
		// A station set up anew signs with a new key and starts a new trail.
		{"new key", []AuditHeadSeen{h(1, 50, mac("a"), k1), h(1, 2, mac("f"), k2), h(2, 6, mac("0"), k2)}, nil},
	}
	for _, c := range cases {
		got := CheckAuditHeads(c.heads)
		if len(got) != len(c.want) {
			t.Errorf("%s: %q, want %d problems", c.name, got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: %q, want %q", c.name, got[i], w)
			}
		}
	}
}
