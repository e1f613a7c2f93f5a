package intake

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/wire"
)

func testCentral(t testing.TB, opts ...Option) *Central {
	t.Helper()
	return testCentralIn(t, t.TempDir(), opts...)
}

// testCentralIn is testCentral with its folder at dir.
func testCentralIn(t testing.TB, dir string, opts ...Option) *Central {
	t.Helper()
	if _, err := Init(dir, Config{Name: "Test", URL: "https://127.0.0.1:1", Hosts: []string{"127.0.0.1"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	c, err := Open(context.Background(), dir, "", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestStatusAnswersOnlyTheAskingStation: a station learns nothing of another station's records.
func TestStatusAnswersOnlyTheAskingStation(t *testing.T) {
	c := testCentral(t)
	ctx := context.Background()
	for _, code := range []string{"HN-01", "HN-02"} {
		if _, err := c.AddStation(ctx, code, "Phường "+code, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.db.exec(ctx, `INSERT INTO batches (id, station, seq, sha256, size, records, created_at, received_at, source, signing_key)
		VALUES ('b1', 'HN-01', 1, 'x', 1, 1, 0, 0, 'upload', 'k')`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.exec(ctx, `INSERT INTO records (id, station, batch_id, revision, personal_id, status, document, received_at)
		VALUES ('r1', 'HN-01', 'b1', 'aa', '001087000101', 'verified', '{}', 0)`); err != nil {
		t.Fatal(err)
	}
	ask := func(station string) *ack.Ack {
		body := `{"Records":["r1"],"Batches":["b1"]}`
		r := httptest.NewRequest(http.MethodPost, wire.StatusPath, bytes.NewBufferString(body))
		r.Header.Set(stationHeader, station)
		w := httptest.NewRecorder()
		c.status(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", station, w.Code, w.Body)
		}
		a, err := ack.Parse(w.Body.Bytes(), c.keys.Ack.Public().(ed25519.PublicKey), station)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := ask("HN-01"); len(a.Verdicts) != 1 || a.Verdicts[0].Revision != "aa" || len(a.Batches) != 1 {
		t.Fatalf("HN-01's own record: %+v", a)
	}
	if a := ask("HN-02"); len(a.Verdicts) != 0 || len(a.Batches) != 0 {
		t.Fatalf("HN-02 learnt of HN-01's record: %+v", a)
	}
}

// FuzzStatusRequest: the status endpoint reads request bodies from the network; whatever
// comes, it answers 200, 400 or 413 (too many ids), never panics.
func FuzzStatusRequest(f *testing.F) {
	c := testCentral(f)
	f.Add([]byte(`{"Records":["r1","r2"],"Batches":["b1"]}`))
	f.Add([]byte(`{"Records":null}`))
	f.Add([]byte(`{"Records":[1,2]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, wire.StatusPath, bytes.NewReader(body))
		r.Header.Set(stationHeader, "HN-01")
		w := httptest.NewRecorder()
		c.status(w, r)
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("answered %d %s", w.Code, w.Body)
		}
	})
}

// askStatus sends HN-01's status request body to c's status handler.
func askStatus(c *Central, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, wire.StatusPath, bytes.NewReader(body))
	r.Header.Set(stationHeader, "HN-01")
	w := httptest.NewRecorder()
	c.status(w, r)
	return w
}

// uuids makes n distinct ids of the form stations use.
func uuids(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("0b6d5e2a-4f1c-4a8e-9d3b-%012d", i)
	}
	return ids
}

// TestStatusCapsIDs: central looks batch ids up one by one and record ids 500 at a time, so a
// request naming more than wire.MaxStatusBatches batches or wire.MaxStatusRecords records is
// refused (413) before any lookup, and one at both caps is answered; a body longer than such
// a request can be is refused as too large before it is decoded whole.
func TestStatusCapsIDs(t *testing.T) {
	c := testCentral(t)
	ctx := context.Background()
	if _, err := c.AddStation(ctx, "HN-01", "Phường HN-01", false); err != nil {
		t.Fatal(err)
	}
	ask := func(req wire.StatusRequest) *httptest.ResponseRecorder {
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		return askStatus(c, body)
	}
	if w := ask(wire.StatusRequest{Batches: uuids(wire.MaxStatusBatches + 1)}); w.Code != http.StatusRequestEntityTooLarge ||
		!strings.Contains(w.Body.String(), "batch ids") {
		t.Fatalf("over the batch cap: %d %s", w.Code, w.Body)
	}
	if w := ask(wire.StatusRequest{Records: uuids(wire.MaxStatusRecords + 1)}); w.Code != http.StatusRequestEntityTooLarge ||
		!strings.Contains(w.Body.String(), "record ids") {
		t.Fatalf("over the record cap: %d %s", w.Code, w.Body)
	}
	if w := ask(wire.StatusRequest{Records: uuids(wire.MaxStatusRecords), Batches: uuids(wire.MaxStatusBatches)}); w.Code != http.StatusOK {
		t.Fatalf("at both caps: %d %s", w.Code, w.Body)
	}
	long := []byte(`{"Records":["` + strings.Repeat("a", int(maxStatusRequest)) + `"]}`)
	if w := askStatus(c, long); w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "bytes") {
		t.Fatalf("a %d-byte body: %d %s", len(long), w.Code, w.Body)
	}
}

// TestStatusHidesCentralErrors: when central cannot answer, the station learns that, not what
// went wrong inside central.
func TestStatusHidesCentralErrors(t *testing.T) {
	c := testCentral(t)
	if _, err := c.db.exec(context.Background(), `DROP TABLE intake_log`); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, wire.StatusPath, strings.NewReader(`{"Batches":["b1"]}`))
	r.Header.Set(stationHeader, "HN-01")
	w := httptest.NewRecorder()
	c.status(w, r)
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "intake_log") {
		t.Fatalf("answered %d %q", w.Code, w.Body)
	}
}
