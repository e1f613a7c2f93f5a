package batch

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
)

// The station's audit head travels in the signed manifest: read back as written, bound by the
// signature, and absent (omitted, not null) for a station whose audit has no head yet.
func TestManifestCarriesAuditHead(t *testing.T) {
	central, station := testKeys(t, 1)
	recs := sampleRecords(t)[:1]
	head := AuditHead{Seq: 41, MAC: strings.Repeat("9f", 32)}

	var out bytes.Buffer
	w, err := NewWriter(&out, testHeader(7), central.PublicKey(), station)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(recs[0]); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []AuditHead{{Seq: 0, MAC: head.MAC}, {Seq: 1, MAC: "9F"}, {Seq: 1, MAC: strings.Repeat("9F", 32)}} {
		if err := w.SetAudit(bad); err == nil {
			t.Errorf("SetAudit(%+v) accepted", bad)
		}
	}
	if err := w.SetAudit(head); err != nil {
		t.Fatal(err)
	}
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	data := out.Bytes()
	_, vm, err := Verify(bytes.NewReader(data), station.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if vm.Audit == nil || *vm.Audit != head || !vm.equal(&m) {
		t.Fatalf("audit head read back %+v, want %+v", vm.Audit, head)
	}
	if !bytes.Contains(data, []byte(`"audit":{"seq":41,"mac":"9f9f`)) {
		t.Error("audit head not in the manifest as documented")
	}
	if err := Open(bytes.NewReader(data), central, vm, func(*enroll.Enrollment, Entry) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// A manifest given to Open with another head is not this file's.
	other := vm
	other.Audit = &AuditHead{Seq: 40, MAC: head.MAC}
	if err := Open(bytes.NewReader(data), central, other, func(*enroll.Enrollment, Entry) error { return nil }); !errors.Is(err, ErrHash) {
		t.Errorf("Open with another audit head: %v", err)
	}
	// Moving the head back in the file breaks the signature.
	altered := bytes.Replace(data, []byte(`"seq":41,"mac"`), []byte(`"seq":31,"mac"`), 1)
	if _, _, err := Verify(bytes.NewReader(altered), station.Public().(ed25519.PublicKey)); !errors.Is(err, ErrSignature) {
		t.Errorf("altered audit head: %v", err)
	}

	// Without a head the member is left out, as batches before it were written.
	plain, _ := build(t, testHeader(8), recs, central.PublicKey(), station)
	if bytes.Contains(plain, []byte(`"audit"`)) {
		t.Error("empty audit head written")
	}
	if _, vm, err := Verify(bytes.NewReader(plain), station.Public().(ed25519.PublicKey)); err != nil || vm.Audit != nil {
		t.Errorf("batch without a head: %v %+v", err, vm.Audit)
	}
}
