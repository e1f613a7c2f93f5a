package biometric

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"testing"
)

// chunk builds one PNG chunk with its length and CRC.
func chunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func phys(x, y uint32, unit byte) []byte {
	d := binary.BigEndian.AppendUint32(nil, x)
	d = binary.BigEndian.AppendUint32(d, y)
	return chunk("pHYs", append(d, unit))
}

// pngWithChunks is a 4×4 grey PNG with extra chunks between IHDR and the image data.
func pngWithChunks(t testing.TB, extra ...[]byte) []byte {
	t.Helper()
	b, err := EncodeFingerPNG(image.NewGray(image.Rect(0, 0, 4, 4)), 500)
	if err != nil {
		t.Fatal(err)
	}
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	out := append([]byte(nil), b[:afterIHDR]...)
	out = append(out, bytes.Join(extra, nil)...)
	// Drop the encoder's own pHYs chunk, which follows IHDR.
	return append(out, b[afterIHDR+4+4+9+4:]...)
}

func TestPNGPPIReadsOnlyPlausibleResolutions(t *testing.T) {
	ppm := func(ppi float64) uint32 { return uint32(ppi*inchesPerMetre + 0.5) }
	for _, c := range []struct {
		name  string
		extra [][]byte
		want  int
	}{
		{"500 ppi", [][]byte{phys(ppm(500), ppm(500), 1)}, 500},
		{"1000 ppi after a text chunk", [][]byte{chunk("tEXt", []byte("a\x00b")), phys(ppm(1000), ppm(1000), 1)}, 1000},
		{"no pHYs", nil, 0},
		{"unit 0: aspect ratio only", [][]byte{phys(ppm(500), ppm(500), 0)}, 0},
		{"pixels not square", [][]byte{phys(ppm(500), ppm(400), 1)}, 0},
		{"72 dpi screenshot", [][]byte{phys(ppm(72), ppm(72), 1)}, 0},
		{"absurd 100 000 ppi", [][]byte{phys(ppm(100000), ppm(100000), 1)}, 0},
		{"zero", [][]byte{phys(0, 0, 1)}, 0},
		{"pHYs of the wrong length", [][]byte{chunk("pHYs", make([]byte, 8))}, 0},
	} {
		if got := pngPPI(pngWithChunks(t, c.extra...)); got != c.want {
			t.Errorf("%s: %d ppi, want %d", c.name, got, c.want)
		}
	}
	if got := pngPPI([]byte("GIF89a")); got != 0 {
		t.Errorf("not a PNG: %d", got)
	}
}

// FuzzPNGPPI feeds the pHYs reader arbitrary bytes: it must not panic, must return 0 or a
// resolution within the plausible range, and on a file that decodes must agree with
// DecodeFingerPNG.
func FuzzPNGPPI(f *testing.F) {
	ppm := func(ppi float64) uint32 { return uint32(ppi*inchesPerMetre + 0.5) }
	f.Add(pngWithChunks(f, phys(ppm(500), ppm(500), 1)))
	f.Add(pngWithChunks(f, phys(ppm(1000), ppm(1000), 1)))
	f.Add(pngWithChunks(f, phys(ppm(500), ppm(400), 1)))
	f.Add(pngWithChunks(f, phys(ppm(500), ppm(500), 0)))
	f.Add(pngWithChunks(f, chunk("pHYs", make([]byte, 3))))
	f.Add(pngWithChunks(f))
	f.Add([]byte(pngSignature + "\xff\xff\xff\xffpHYs"))
	f.Add([]byte(pngSignature + "\x00\x00\x00\x09pHYs\x00"))
	f.Add([]byte(pngSignature))
	f.Fuzz(func(t *testing.T, data []byte) {
		ppi := pngPPI(data)
		if ppi != 0 && (ppi < minPNGPPI || ppi > maxPNGPPI) {
			t.Fatalf("resolution %d outside %d-%d", ppi, minPNGPPI, maxPNGPPI)
		}
		if len(data) > 1<<16 {
			return
		}
		if _, got, err := DecodeFingerPNG(data); err == nil && got != ppi {
			t.Fatalf("DecodeFingerPNG says %d ppi, pngPPI %d", got, ppi)
		}
	})
}
