package biometric

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
	"testing"
)

// pngHeader is a PNG whose header claims w×h grey pixels and whose data is a few zero bytes:
// what a hostile or broken file looks like before anything is decoded.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(kind)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth; colour type 0 (grey)
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestDecodeBoundedRefusesHugeHeaders(t *testing.T) {
	huge := pngHeader(60000, 60000)
	if _, _, err := DecodeBounded(huge, MaxPhotoPixels); !errors.Is(err, ErrImageTooLarge) || !strings.Contains(err.Error(), "60000×60000") {
		t.Errorf("60 000² photo: %v", err)
	}
	if _, _, err := DecodeFingerPNG(pngHeader(4000, 4000)); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("16 Mpx finger image: %v", err)
	}
	if _, _, err := DecodeBounded(pngHeader(0, 10), MaxPhotoPixels); err == nil {
		t.Error("an image without pixels was accepted")
	}
	// A real image inside the limit decodes.
	var ok bytes.Buffer
	png.Encode(&ok, image.NewGray(image.Rect(0, 0, 640, 480)))
	img, format, err := DecodeBounded(ok.Bytes(), MaxPhotoPixels)
	if err != nil || format != "png" || img.Bounds().Dx() != 640 {
		t.Errorf("640×480 png: %v %s", err, format)
	}
}

// FuzzDecodeBounded: any file either decodes within the limit or is refused with an error;
// nothing panics, and nothing over the limit is decoded.
func FuzzDecodeBounded(f *testing.F) {
	var ok bytes.Buffer
	png.Encode(&ok, image.NewGray(image.Rect(0, 0, 16, 12)))
	f.Add(ok.Bytes())
	f.Add(pngHeader(60000, 60000))
	f.Add(pngHeader(100, 100))
	f.Add([]byte("\xff\xd8\xff\xe0 not really a jpeg"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 16
		img, _, err := DecodeBounded(data, limit)
		if err == nil && img.Bounds().Dx()*img.Bounds().Dy() > limit {
			t.Fatalf("decoded %v past the limit", img.Bounds())
		}
	})
}
