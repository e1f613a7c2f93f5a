package demo

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
)

// TestDatabaseFilesRevealNothing is issue 6's acceptance check: after a demo run of 100
// records, the database file, its WAL and any journal hold no citizen's name, ID number or
// phone in any encoding, and no image decodes from them.
func TestDatabaseFilesRevealNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "demo.db")
	clock := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, path, store.WithClock(func() time.Time { return clock }),
		store.WithPasswordParams(store.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	g := Generator{Store: st, Records: 100, Seed: 11, Span: 10 * 24 * time.Hour,
		Now: func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }, SetClock: func(t time.Time) { clock = t }}
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// What to look for: every citizen as the store gives them back.
	list, err := st.List(ctx, store.Filter{Limit: 1000})
	if err != nil || len(list) != 100 {
		t.Fatalf("list: %d, %v", len(list), err)
	}
	var needles [][]byte
	var images int
	for _, r := range list {
		e, err := st.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := e.Citizen
		needles = append(needles, encodings(c.FullName)...)
		needles = append(needles, encodings(c.Address)...)
		needles = append(needles, encodings(string(c.PersonalID))...)
		if e.Phone != "" {
			needles = append(needles, encodings(e.Phone)...)
			needles = append(needles, encodings("+84"+e.Phone[1:])...)
		}
		needles = append(needles, encodings(e.Email)...)
		if e.Portrait != nil {
			images++
		}
		images += len(e.Fingers)
	}
	if images < 200 {
		t.Fatalf("only %d images in 100 records; the demo should have made at least 200", images)
	}
	find := newFinder(needles)
	check := func(when string) {
		t.Helper()
		files, _ := filepath.Glob(path + "*")
		scanned := 0
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			scanned += len(raw)
			if n, i := find(raw); n != nil {
				t.Errorf("%s: %s holds %q at offset %d", when, filepath.Base(f), n, i)
			}
			if what, at := decodableImage(raw); what != "" {
				t.Errorf("%s: %s holds an image (%s) at offset %d", when, filepath.Base(f), what, at)
			}
		}
		if scanned < 1<<20 {
			t.Fatalf("%s: scanned only %d bytes in %v", when, scanned, files)
		}
	}
	check("while open (WAL in use)")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	check("after close")
}

// encodings lists the ways a value could sit in a file: UTF-8 in NFC and NFD, without
// diacritics, upper case, JSON-escaped, and UTF-16 in both byte orders.
func encodings(s string) [][]byte {
	if len([]rune(s)) < 4 || len(s) < 4 {
		return nil // too short to tell from chance
	}
	forms := map[string]bool{}
	for _, f := range []string{norm.NFC.String(s), norm.NFD.String(s), enroll.SearchKey(s), strings.ToUpper(s)} {
		forms[f] = true
		q := strconv.QuoteToASCII(f)
		forms[q[1:len(q)-1]] = true
	}
	var out [][]byte
	for f := range forms {
		out = append(out, []byte(f))
		u := utf16.Encode([]rune(f))
		le, be := make([]byte, 2*len(u)), make([]byte, 2*len(u))
		for i, c := range u {
			binary.LittleEndian.PutUint16(le[2*i:], c)
			binary.BigEndian.PutUint16(be[2*i:], c)
		}
		out = append(out, le, be)
	}
	return out
}

// newFinder returns a search for many needles (each at least 4 bytes) in one pass: each
// position's next four bytes pick the few needles that could start there.
func newFinder(needles [][]byte) func([]byte) ([]byte, int) {
	byPrefix := map[uint32][][]byte{}
	for _, n := range needles {
		k := binary.LittleEndian.Uint32(n)
		byPrefix[k] = append(byPrefix[k], n)
	}
	return func(raw []byte) ([]byte, int) {
		for i := 0; i+4 <= len(raw); i++ {
			for _, n := range byPrefix[binary.LittleEndian.Uint32(raw[i:])] {
				if bytes.HasPrefix(raw[i:], n) {
					return n, i
				}
			}
		}
		return nil, 0
	}
}

// decodableImage looks for an image in raw: a PNG signature with its IHDR chunk, or a JPEG
// start marker followed by a well-formed segment, and a whole decodable image at any such
// start. The header checks matter because a large image in SQLite is split over overflow
// pages, each starting with a page pointer, so a plain one would not decode in one piece
// but could still be put together by whoever holds the file.
func decodableImage(raw []byte) (string, int) {
	starts := []struct {
		sig      []byte
		format   string
		headerOK func(b []byte) bool
	}{
		{[]byte("\x89PNG\r\n\x1a\n"), "png", func(b []byte) bool { return bytes.HasPrefix(b[8:], []byte("\x00\x00\x00\x0dIHDR")) }},
		{[]byte{0xff, 0xd8, 0xff}, "jpeg", func(b []byte) bool {
			if len(b) < 6 {
				return false
			}
			m, n := b[3], int(binary.BigEndian.Uint16(b[4:]))
			known := m == 0xdb || m == 0xc0 || m == 0xc4 || m >= 0xe0 && m <= 0xef
			return known && n >= 2 && n <= 1024 && len(b) > 4+n && b[4+n] == 0xff
		}},
	}
	for _, st := range starts {
		for off := 0; ; {
			i := bytes.Index(raw[off:], st.sig)
			if i < 0 {
				break
			}
			at := off + i
			if st.headerOK(raw[at:]) {
				return st.format + " header", at
			}
			if _, format, err := image.Decode(bytes.NewReader(raw[at:])); err == nil {
				return format, at
			}
			off = at + 1
		}
	}
	return "", 0
}
