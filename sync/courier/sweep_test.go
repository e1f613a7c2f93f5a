package courier_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/intake"
	"github.com/wardpolice/enroll/sync/provision"
	"github.com/wardpolice/enroll/sync/upload"
	"github.com/wardpolice/enroll/sync/wire"
)

// orphanUpload puts a whole upload in central's upload folder as tusd leaves one whose last
// PATCH was never answered (central died while ingesting it): data file and .info, offset 0.
func orphanUpload(t *testing.T, c *centralUnderTest, id string, data []byte, batchID, station string) string {
	t.Helper()
	dir := filepath.Join(c.dir, intake.UploadsDir)
	bin := filepath.Join(dir, id)
	if err := os.WriteFile(bin, data, 0o600); err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]any{"ID": id, "Size": len(data), "Offset": 0,
		"MetaData": map[string]string{wire.MetaBatch: batchID, wire.MetaStation: station},
		"Storage":  map[string]string{"Type": "filestore", "Path": bin, "InfoPath": bin + ".info"}})
	if err := os.WriteFile(bin+".info", info, 0o600); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestSweepFinishesOrphanedUploads: a whole upload central never answered is ingested by the
// sweep, the station learns its outcome at the next pull, and the files go a minute after;
// a garbage upload is refused once, under the batch id its station named, and removed too.
func TestSweepFinishesOrphanedUploads(t *testing.T) {
	ctx := context.Background()
	var later atomic.Int64 // how far central's clock runs ahead
	c := newCentral(t, "", intake.WithClock(func() time.Time { return time.Now().Add(time.Duration(later.Load())) }))
	s := newStation(t, 10, 31)
	s.provision(t, c)
	b := builtBatch(t, s)
	data, err := os.ReadFile(b.File)
	if err != nil {
		t.Fatal(err)
	}
	good := orphanUpload(t, c, "0123456789abcdef0123456789abcdef", data, b.ID, demo.Station)
	junk := orphanUpload(t, c, "fedcba9876543210fedcba9876543210", []byte("not a batch at all"), "junk-batch", demo.Station)
	if err := c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Batches != 1 || n.Records[enroll.StatusVerified]+n.Records[enroll.StatusRejected] != 10 {
		t.Fatalf("after the sweep central holds %d batches, %v", n.Batches, n.Records)
	}
	out, err := c.BatchOutcomes(ctx, demo.Station, []string{"junk-batch", b.ID})
	if err != nil || len(out) != 2 || out[0].Outcome != ack.BatchRefused || out[1].Outcome != ack.BatchReceived {
		t.Fatalf("outcomes %+v %v", out, err)
	}
	// The station never had an answer to its upload; the pull tells it.
	if _, err := s.courier.Pass(ctx, demo.Officer); err != nil {
		t.Fatal(err)
	}
	if counts, _ := s.st.SyncCounts(ctx); counts.Verified+counts.Returned != 10 || counts.InBatches != 0 {
		t.Fatalf("the station did not learn its batch's fate: %+v", counts)
	}
	// A second sweep ingests nothing again; once a minute has passed the files go.
	if err := c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(good); err != nil {
		t.Fatalf("the upload went before its station could ask about it: %v", err)
	}
	later.Store(int64(2 * time.Minute))
	if err := c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{good, good + ".info", junk, junk + ".info"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after its outcome: %v", p, err)
		}
	}
	if n2, _ := c.Count(ctx); n2.Refused != 1 {
		t.Errorf("the garbage upload counted %d refusals, want 1", n2.Refused)
	}
}

// TestUploadsBelongToTheirStation: a station cannot look at or write to another station's
// upload; it is told there is no such upload.
func TestUploadsBelongToTheirStation(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	client := func(code string) *upload.Client {
		data, err := c.AddStation(ctx, code, "Phường "+code, false)
		if err != nil {
			t.Fatal(err)
		}
		f, err := provision.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return c.uploads(t, f)
	}
	one, two := client("HN-01"), client("HN-02")
	url, err := one.Create(ctx, 1000, map[string]string{wire.MetaBatch: "b-1", wire.MetaStation: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	if off, err := one.Offset(ctx, url); err != nil || off != 0 {
		t.Fatalf("the owner asks its offset: %d %v", off, err)
	}
	if _, err := two.Offset(ctx, url); err == nil {
		t.Fatal("another station read the upload's offset")
	}
	if _, err := two.Create(ctx, 1000, map[string]string{wire.MetaBatch: "b-2", wire.MetaStation: "HN-01"}); err == nil {
		t.Fatal("a station created an upload in another station's name")
	}
}
