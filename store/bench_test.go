package store

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkLogin times a login with the production argon2id cost: opening the officer's key
// slot (which is the password check) and recording the login.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "login.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Init(ctx, testSetup()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealOpen times sealing and opening a 100 KB image, the per-image cost encryption
// adds to a save and a read.
func BenchmarkSealOpen(b *testing.B) {
	k, err := newKeys(make([]byte, dataKeySize))
	if err != nil {
		b.Fatal(err)
	}
	img := make([]byte, 100<<10)
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		sealed := k.seal("0b7c1a52-0000-4000-8000-000000000000", imageField("finger", 2), img)
		if _, err := k.open("0b7c1a52-0000-4000-8000-000000000000", imageField("finger", 2), sealed); err != nil {
			b.Fatal(err)
		}
	}
}
