package batch

import (
	"errors"
	"io"
	"testing"

	"github.com/wardpolice/enroll"
)

// largest is record i of a batch made as large as the format allows: its encoding is exactly
// MaxRecordSize bytes, the portrait taking what the rest leaves (img must be large enough).
func largest(t *testing.T, im images, i int, img []byte) *enroll.Enrollment {
	t.Helper()
	e := im.realistic(i)
	e.Portrait.JPEG = nil
	js, parts, err := splitRecord(e)
	if err != nil {
		t.Fatal(err)
	}
	e.Portrait.JPEG = img[:MaxRecordSize-encodedSize(js, parts)]
	return e
}

// TestBatchStaysWithinMaxSize: records as large as the format allows fill a batch up to
// RecordsBudget and no further (the next one is ErrFull and goes in a fresh batch, which takes
// it), and the file written stays within MaxSize, the bound central holds uploads to.
func TestBatchStaysWithinMaxSize(t *testing.T) {
	if testing.Short() {
		t.Skip("encrypts 256 MiB")
	}
	central, station := testKeys(t, 1)
	im := newImages()
	img := make([]byte, MaxRecordSize) // zeros: only the size matters here
	w, err := NewWriter(io.Discard, testHeader(1), central.PublicKey(), station)
	if err != nil {
		t.Fatal(err)
	}
	fit := RecordsBudget / MaxRecordSize
	for i := range fit {
		if err := w.Add(largest(t, im, i, img)); err != nil {
			t.Fatalf("record %d of %d that fit the budget: %v", i+1, fit, err)
		}
	}
	next := largest(t, im, fit, img)
	if err := w.Add(next); !errors.Is(err, ErrFull) {
		t.Fatalf("a record past the %d-byte budget: %v, want ErrFull", RecordsBudget, err)
	}
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Records) != fit {
		t.Fatalf("manifest lists %d records, want %d", len(m.Records), fit)
	}
	if w.Written() > MaxSize || w.Written() < RecordsBudget {
		t.Fatalf("batch of %d bytes of records is %d bytes written; MaxSize is %d", RecordsBudget, w.Written(), MaxSize)
	}
	t.Logf("%d records of %d bytes: %d bytes written, MaxSize %d", fit, MaxRecordSize, w.Written(), MaxSize)

	// The record refused as ErrFull opens the next batch.
	w2, err := NewWriter(io.Discard, testHeader(2), central.PublicKey(), station)
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Add(next); err != nil {
		t.Fatalf("the largest record in an empty batch: %v", err)
	}
	if _, err := w2.Close(); err != nil {
		t.Fatal(err)
	}
}
