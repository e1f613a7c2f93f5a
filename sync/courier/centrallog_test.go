package courier_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/sync/intake"
)

// TestCentralLogsForItsOperator: central's log says what became of each batch in a way an
// operator can act on: a refused batch is a warning with its reason, a stored batch gives its
// verification result (verified, rejected, held for review) and no empty reason, and no line
// carries a citizen's ID number, name or phone.
func TestCentralLogsForItsOperator(t *testing.T) {
	ctx := context.Background()
	c, log := loggedCentral(t, "")
	s := newStation(t, 20, 93)
	s.provision(t, c)
	b := builtBatch(t, s)
	tampered := copyWith(t, b.File, func(d []byte) []byte {
		d[len(d)/2] ^= 0x10
		return d
	})
	if out, err := c.Ingest(ctx, tampered, intake.From{Source: intake.SourceImport}); err != nil || out.Reason == "" {
		t.Fatalf("tampered batch: %+v %v", out, err)
	}
	if _, err := s.courier.Pass(ctx, s.supervisor); err != nil {
		t.Fatal(err)
	}
	n, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if got := log.lines("WARN", `msg="batch refused"`, "outcome=refused", "reason="); len(got) != 1 {
		t.Errorf("the tampered batch is not one warning with its reason:\n%s", log)
	}
	if got := log.lines("INFO", "outcome=refused"); len(got) != 0 {
		t.Errorf("a refusal logged as information: %q", got)
	}
	result := fmt.Sprintf("records=20 verified=%d rejected=%d review=%d", n.Records[enroll.StatusVerified],
		n.Records[enroll.StatusRejected], n.Review)
	stored := log.lines("INFO", `msg="batch stored"`, "id="+b.ID, "station="+s.code, "outcome=received", result)
	if len(stored) != 1 {
		t.Errorf("no line gives the stored batch's verification result (%s):\n%s", result, log)
	}
	for _, line := range stored {
		if strings.Contains(line, "reason=") {
			t.Errorf("a stored batch's line has a reason: %s", line)
		}
	}

	// Nothing personal: the records' ID numbers, names and phones appear nowhere.
	rows, err := s.st.List(ctx, store.Filter{Limit: 1000})
	if err != nil || len(rows) != 20 {
		t.Fatalf("%d records: %v", len(rows), err)
	}
	text := log.String()
	for _, row := range rows {
		e, err := s.st.Get(ctx, row.ID)
		if err != nil {
			t.Fatal(err)
		}
		for what, v := range map[string]string{"ID number": string(e.Citizen.PersonalID), "name": e.Citizen.FullName, "phone": e.Phone} {
			if v != "" && strings.Contains(text, v) {
				t.Errorf("central's log holds a citizen's %s", what)
			}
		}
	}
	t.Logf("central's log:\n%s", text)
}
