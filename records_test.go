package enroll

import "testing"

func TestRecordCode(t *testing.T) {
	// 0xffffffffffff >> 3 is 45 ones: every character the alphabet's last.
	if got := RecordCode("ffffffff-ffff-4fff-bfff-ffffffffffff"); got != "ZZZ-ZZZ-ZZZ" {
		t.Errorf("all ones: %q", got)
	}
	// 0x000000000008 >> 3 is 1.
	if got := RecordCode("00000000-0008-4000-8000-000000000000"); got != "000-000-001" {
		t.Errorf("one: %q", got)
	}
	// 0x084210842108 >> 3 is 0x108421084210 … 5-bit groups 00001 00001 …: every character "1".
	if got := RecordCode("08421084-2108-4000-8000-000000000000"); got != "111-111-111" {
		t.Errorf("ones in every group: %q", got)
	}
	// The last 3 of the 48 bits do not count; bit 3 does.
	if a, b := RecordCode("00000000-0007-4000-8000-000000000000"), RecordCode("00000000-0008-4000-8000-000000000000"); a == b {
		t.Errorf("bit 3 ignored: %q", a)
	}
	code := RecordCode("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
	if back, ok := ParseRecordCode(code); !ok || back != code {
		t.Errorf("%q reads back as %q %v", code, back, ok)
	}
	if RecordCode("not-a-uuid") != "" {
		t.Error("a bad id gave a code")
	}
}

func TestParseRecordCode(t *testing.T) {
	for in, want := range map[string]string{
		"K7Q-M3X-D9A": "K7Q-M3X-D9A",
		"k7qm3xd9a":   "K7Q-M3X-D9A",
		"k7q m3x d9a": "K7Q-M3X-D9A",
		"O1L-IOO-000": "011-100-000",
	} {
		got, ok := ParseRecordCode(in)
		if !ok || got != want {
			t.Errorf("%q: got %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "K7Q-M3X", "K7Q-M3X-D9AB", "K7Q-M3X-D9U", "Nguyễn An", "012345678901"} {
		if got, ok := ParseRecordCode(bad); ok {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
}

// FuzzParseRecordCode: whatever is typed, a code read back is canonical and reads back as
// itself.
func FuzzParseRecordCode(f *testing.F) {
	for _, s := range []string{"K7Q-M3X-D9A", "k7qm3xd9a", "O1L-IOO-000", "", "Nguyễn", "012345678901", "ZZZ ZZZ ZZZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := ParseRecordCode(s)
		if !ok {
			return
		}
		if len(code) != 11 || code[3] != '-' || code[7] != '-' {
			t.Fatalf("%q read as %q", s, code)
		}
		if again, ok := ParseRecordCode(code); !ok || again != code {
			t.Fatalf("%q read back as %q %v", code, again, ok)
		}
	})
}
