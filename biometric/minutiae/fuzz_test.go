package minutiae_test

import (
	"reflect"
	"testing"

	"github.com/wardpolice/enroll/biometric/minutiae"
)

// Both readers take outside input. Whatever the bytes, they return a template or an error,
// never panic, and what they accept encodes back to something they read as the same.
// Seed corpora: testdata/fuzz/FuzzParseTemplate and testdata/fuzz/FuzzParseISORecord.

func FuzzParseTemplate(f *testing.F) {
	if b, err := sampleTemplate().MarshalBinary(); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := minutiae.ParseTemplate(data)
		if err != nil {
			if tp != nil {
				t.Fatal("a template and an error")
			}
			if err.Error() == "" {
				t.Fatal("an error that says nothing")
			}
			return
		}
		again, err := tp.MarshalBinary()
		if err != nil {
			t.Fatalf("accepted template does not encode: %v", err)
		}
		back, err := minutiae.ParseTemplate(again)
		if err != nil || !reflect.DeepEqual(back, tp) {
			t.Fatalf("re-encoded template reads differently: %v", err)
		}
		// An accepted template must be safe to compare.
		minutiae.Match(tp, tp)
	})
}

func FuzzParseISORecord(f *testing.F) {
	if r, err := minutiae.NewISORecord(sampleTemplate(), 2, minutiae.LiveScanPlain); err == nil {
		if b, err := r.MarshalBinary(); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := minutiae.ParseISORecord(data)
		if err != nil {
			if r != nil {
				t.Fatal("a record and an error")
			}
			if err.Error() == "" {
				t.Fatal("an error that says nothing")
			}
			return
		}
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("accepted record does not encode: %v", err)
		}
		back, err := minutiae.ParseISORecord(again)
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("re-encoded record reads differently: %v", err)
		}
		for i := range r.Views {
			// A view may not make a template (a resolution outside what we match); it must
			// say so, and what it makes must be comparable.
			if tp, err := r.Template(i); err == nil {
				minutiae.Match(tp, tp)
			}
		}
	})
}
