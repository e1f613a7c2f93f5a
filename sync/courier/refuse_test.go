package courier_test

import (
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/batch"
	"github.com/wardpolice/enroll/sync/courier"
	"github.com/wardpolice/enroll/sync/intake"
	"github.com/wardpolice/enroll/sync/provision"
	"github.com/wardpolice/enroll/sync/wire"
)

// builtBatch builds the station's complete records into a batch and returns its file.
func builtBatch(t *testing.T, s *stationUnderTest) enroll.Batch {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.courier.Build(ctx, demo.Officer); err != nil {
		t.Fatal(err)
	}
	ready, err := s.st.Batches(ctx, enroll.BatchReady)
	if err != nil || len(ready) == 0 {
		t.Fatalf("no batch built: %v", err)
	}
	return ready[0]
}

// refusedAndNothingStored ingests path and checks central refused it for a reason containing
// want, with nothing of it stored.
func refusedAndNothingStored(t *testing.T, c *centralUnderTest, path, want string) {
	t.Helper()
	ctx := context.Background()
	before, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Ingest(ctx, path, intake.From{Source: intake.SourceImport})
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if out.Outcome != ack.BatchRefused || !strings.Contains(out.Reason, want) {
		t.Fatalf("outcome %s %q, want refused for %q", out.Outcome, out.Reason, want)
	}
	after, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Batches != before.Batches || fmt.Sprint(after.Records) != fmt.Sprint(before.Records) {
		t.Fatalf("a refused batch changed central: %d batches %v → %d batches %v", before.Batches, before.Records,
			after.Batches, after.Records)
	}
	t.Logf("refused: %s", out.Reason)
}

func copyWith(t *testing.T, from string, change func([]byte) []byte) string {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), filepath.Base(from))
	if err := os.WriteFile(to, change(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return to
}

// TestCentralRefuses: tampered, truncated, foreign, replayed and removed-station batches are
// refused with a reason and leave nothing stored; the genuine batch then goes in once.
func TestCentralRefuses(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStation(t, 12, 7)
	s.provision(t, c)
	b := builtBatch(t, s)

	for _, at := range []float64{0.001, 0.3, 0.5, 0.9, 0.9999} {
		flipped := copyWith(t, b.File, func(d []byte) []byte {
			d[int(float64(len(d))*at)] ^= 0x10
			return d
		})
		refusedAndNothingStored(t, c, flipped, "")
	}
	refusedAndNothingStored(t, c, copyWith(t, b.File, func(d []byte) []byte { return d[:len(d)/2] }), "")
	refusedAndNothingStored(t, c, copyWith(t, b.File, func(d []byte) []byte { return d[:len(d)-1] }), "")

	// A station of the same code provisioned by another central: not endorsed by ours.
	other := newCentral(t, "")
	foreign := newStation(t, 3, 8)
	foreign.provision(t, other)
	refusedAndNothingStored(t, c, builtBatch(t, foreign).File, "not endorsed")

	// The genuine batch goes in; the same file again is a duplicate that stores nothing.
	out, err := c.Ingest(ctx, b.File, intake.From{Source: intake.SourceImport})
	if err != nil || out.Outcome != ack.BatchReceived || len(out.Records) != 12 {
		t.Fatalf("genuine batch: %+v %v", out, err)
	}
	stored, _ := c.Count(ctx)
	again, err := c.Ingest(ctx, b.File, intake.From{Source: intake.SourceImport})
	if err != nil || again.Outcome != ack.BatchDuplicate || len(again.Records) != 0 {
		t.Fatalf("same batch again: %+v %v", again, err)
	}
	if n, _ := c.Count(ctx); n.Batches != stored.Batches || fmt.Sprint(n.Records) != fmt.Sprint(stored.Records) {
		t.Fatalf("duplicate changed central: %v → %v", stored.Records, n.Records)
	}

	// A station restored from an old backup builds another batch under a sequence number it
	// already used: a replay, refused.
	restored := newStationCode(t, "HN-KL-02", 2, 9)
	restored.provision(t, c)
	backup := backupRows(t, restored)
	first := builtBatch(t, restored)
	if out, err := c.Ingest(ctx, first.File, intake.From{Source: intake.SourceImport}); err != nil || out.Outcome != ack.BatchReceived {
		t.Fatalf("first batch of the second station: %+v %v", out, err)
	}
	// Roll the station's batch table back, as a restore from backup would.
	forgetBatches(t, restored, backup)
	replay := builtBatch(t, restored)
	if replay.Seq != first.Seq || replay.ID == first.ID {
		t.Fatalf("the restored station should reuse sequence %d under a new id; built #%d %s", first.Seq, replay.Seq, replay.ID)
	}
	refusedAndNothingStored(t, c, replay.File, "replay")

	// A removed station's batches are refused.
	if err := c.RemoveStation(ctx, demo.Station); err != nil {
		t.Fatal(err)
	}
	late := newStationFor(t, s)
	refusedAndNothingStored(t, c, late.File, "removed")
}

// forgetBatches rolls the station database back to before its first batch, as a restore
// from an old backup would: the batch rows are gone and their records complete again.
func forgetBatches(t *testing.T, s *stationUnderTest, backup map[string][]byte) {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(s.dir, "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, mac := range backup {
		if _, err := db.Exec(`UPDATE enrollments SET status = 'complete', batch_id = NULL, sent_revision = '', row_mac = ? WHERE id = ?`, mac, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`DELETE FROM batches`); err != nil {
		t.Fatal(err)
	}
}

// backupRows keeps what a backup of the station's file holds of its complete records: their
// rows as they are before a batch, seals included (forgetBatches puts them back).
func backupRows(t *testing.T, s *stationUnderTest) map[string][]byte {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(s.dir, "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, row_mac FROM enrollments WHERE status = 'complete'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var mac []byte
		if err := rows.Scan(&id, &mac); err != nil {
			t.Fatal(err)
		}
		out[id] = mac
	}
	return out
}

// newStationFor makes one more batch on s: new records saved after the last batch.
func newStationFor(t *testing.T, s *stationUnderTest) enroll.Batch {
	t.Helper()
	g := demo.Generator{Store: s.st, Records: 2, Seed: 99, Actor: s.supervisor}
	if err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return builtBatch(t, s)
}

// TestNoClientCertificateGetsNothing: a connection without a station certificate, or with one
// from another central, fails the TLS handshake; nothing is served.
func TestNoClientCertificateGetsNothing(t *testing.T) {
	c := newCentral(t, "")
	other := newCentral(t, "")
	ctx := context.Background()
	data, err := other.AddStation(ctx, "HN-XX-01", "Elsewhere", false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := provision.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	foreignCert, err := f.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(filepath.Join(c.dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := provision.ParseCertificatePEM(ours)
	if err != nil {
		t.Fatal(err)
	}
	roots := provision.Authority{Cert: ca}
	for name, certs := range map[string][]tls.Certificate{"no certificate": nil, "foreign certificate": {foreignCert}} {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots.Pool(), Certificates: certs}}}
		for _, req := range []struct{ method, path string }{{"POST", wire.StatusPath}, {"POST", wire.UploadPath}, {"HEAD", wire.UploadPath + "x"}} {
			r, _ := http.NewRequest(req.method, "https://"+c.addr+req.path, strings.NewReader(`{}`))
			resp, err := client.Do(r)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				t.Fatalf("%s: %s %s answered %s %q", name, req.method, req.path, resp.Status, body)
			}
			t.Logf("%s: %s %s: %v", name, req.method, req.path, err)
		}
	}
}

// TestOneAccountPerCitizen: a citizen central already verified, enrolled again at another
// station, is rejected with where the first account was made.
func TestOneAccountPerCitizen(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	first := newStation(t, 6, 5)
	first.provision(t, c)
	if _, err := first.courier.Pass(ctx, demo.Officer); err != nil {
		t.Fatal(err)
	}
	verified, _ := first.expected(t)
	// The same seed makes the same citizens at a second station.
	second := newStationCode(t, "HN-KL-02", 6, 5)
	second.provision(t, c)
	r, err := second.courier.Pass(ctx, second.supervisor)
	if err != nil {
		t.Fatal(err)
	}
	if r.Applied.Verified != 0 || r.Applied.Rejected != 6 {
		t.Fatalf("second station's records: %+v, want all 6 rejected", r.Applied)
	}
	drafts, err := second.st.Returned(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again := 0
	for _, d := range drafts {
		if d.Returned.Code == enroll.ReasonAlreadyEnrolled {
			again++
			if !strings.Contains(d.Returned.Detail, demo.Station) {
				t.Errorf("the reason does not say where the first account is: %q", d.Returned.Detail)
			}
		}
	}
	if again != verified {
		t.Fatalf("%d records rejected as already enrolled, want the %d the first station had verified", again, verified)
	}
}

// TestOneAccountUnderConcurrentSyncs: two stations enrolling the same citizens sync at the same
// moment; central still verifies each citizen once.
func TestOneAccountUnderConcurrentSyncs(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	a := newStation(t, 30, 6)
	a.provision(t, c)
	b := newStationCode(t, "HN-KL-02", 30, 6)
	b.provision(t, c)
	want, _ := a.expected(t)
	errs := make(chan error, 2)
	for _, s := range []*stationUnderTest{a, b} {
		go func() {
			_, err := s.courier.Pass(ctx, s.supervisor)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Records[enroll.StatusVerified] != want || n.Reasons[enroll.ReasonAlreadyEnrolled] != want {
		t.Fatalf("%d verified and %d already enrolled; want each of the %d eligible citizens verified once and refused once",
			n.Records[enroll.StatusVerified], n.Reasons[enroll.ReasonAlreadyEnrolled], want)
	}
}

// TestSigningKeyIsPinned: the first signing key central sees from a station is the only one it
// takes until the station is re-issued, even from someone who kept the provisioning file.
func TestSigningKeyIsPinned(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	data, err := c.AddStation(ctx, demo.Station, "Phường Kim Liên", false)
	if err != nil {
		t.Fatal(err)
	}
	real := newStation(t, 3, 41)
	if _, err := courier.Provision(ctx, real.st, demo.Officer, data); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Ingest(ctx, builtBatch(t, real).File, intake.From{Source: intake.SourceImport}); err != nil || out.Outcome != ack.BatchReceived {
		t.Fatalf("the station's first batch: %+v %v", out, err)
	}
	// Someone kept the provisioning file and sets up a second "station" with it.
	copycat := newStation(t, 3, 42)
	if _, err := courier.Provision(ctx, copycat.st, demo.Officer, data); err != nil {
		t.Fatal(err)
	}
	refusedAndNothingStored(t, c, builtBatch(t, copycat).File, "signed with a key other than")
	// Re-issued, the station gets a new file, a new key, and is taken again.
	again, err := c.AddStation(ctx, demo.Station, "Phường Kim Liên", true)
	if err != nil {
		t.Fatal(err)
	}
	fresh := newStation(t, 2, 43)
	if _, err := courier.Provision(ctx, fresh.st, demo.Officer, again); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Ingest(ctx, builtBatch(t, fresh).File, intake.From{Source: intake.SourceImport}); err != nil || out.Outcome != ack.BatchReceived {
		t.Fatalf("after re-issue: %+v %v", out, err)
	}
}

// TestBatchIDsArePerStation: a station that names its batch like another station's does not
// make central refuse the other's batch as a replay.
func TestBatchIDsArePerStation(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	a := newStation(t, 3, 51)
	a.provision(t, c)
	b := newStationCode(t, "HN-KL-02", 3, 52)
	b.provision(t, c)
	ab := builtBatch(t, a)
	// b builds a batch of its own under a's batch id.
	p, err := b.st.Provisioning(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := provision.Parse(p.File)
	if err != nil {
		t.Fatal(err)
	}
	to, err := f.BatchPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := b.st.SigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "same-id.batch")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := batch.NewWriter(out, batch.Header{ID: ab.ID, Station: "HN-KL-02", Seq: 1, Created: time.Now(),
		SigningKey: p.SigningPublic, Endorsement: p.Endorsement}, to, key)
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := b.st.Unbatched(ctx, 10)
	for _, id := range ids {
		e, err := b.st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	for _, file := range []string{path, ab.File} {
		if o, err := c.Ingest(ctx, file, intake.From{Source: intake.SourceImport}); err != nil || o.Outcome != ack.BatchReceived {
			t.Fatalf("%s: %+v %v", filepath.Base(file), o, err)
		}
	}
}
