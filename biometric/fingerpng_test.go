package biometric

import (
	"image"
	"testing"
)

func TestFingerPNGRoundTrip(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 37, 23))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	for _, ppi := range []int{500, 508, 1000} {
		b, err := EncodeFingerPNG(img, ppi)
		if err != nil {
			t.Fatal(err)
		}
		got, gotPPI, err := DecodeFingerPNG(b)
		if err != nil {
			t.Fatal(err)
		}
		if gotPPI != ppi {
			t.Errorf("ppi %d read back as %d", ppi, gotPPI)
		}
		if got.Bounds() != img.Bounds() || string(got.Pix) != string(img.Pix) {
			t.Errorf("pixels differ after round trip")
		}
	}
	if _, err := EncodeFingerPNG(img, 0); err == nil {
		t.Error("zero ppi accepted")
	}
	if _, _, err := DecodeFingerPNG([]byte("not a png")); err == nil {
		t.Error("garbage decoded")
	}
}

func FuzzDecodeFingerPNG(f *testing.F) {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	b, _ := EncodeFingerPNG(img, 500)
	f.Add(b)
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		g, _, err := DecodeFingerPNG(data)
		if err == nil && g == nil {
			t.Fatal("nil image without error")
		}
	})
}
