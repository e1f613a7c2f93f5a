package qr

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"

	"github.com/disintegration/imaging"
	qrcode "github.com/skip2/go-qrcode"
)

// cardCode is what a CCCD's QR code holds: ID|old ID|name|birth|gender|address|issued.
const cardCode = "036192004321|162345678|Trần Thị Bích Ngọc|02071992|Nữ|Xóm 3, Xã Nghĩa Hưng, Nam Định|15082021"

// inFrame renders the code as a card held up to a 640×480 camera: smaller than the frame,
// off-centre, slightly turned and blurred, on a grey background.
func inFrame(t testing.TB, text string, turn, blur float64) image.Image {
	t.Helper()
	png0, err := qrcode.Encode(text, qrcode.Medium, 220)
	if err != nil {
		t.Fatal(err)
	}
	code, err := png.Decode(bytes.NewReader(png0))
	if err != nil {
		t.Fatal(err)
	}
	frame := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(frame, frame.Bounds(), &image.Uniform{color.RGBA{120, 125, 130, 255}}, image.Point{}, draw.Src)
	card := imaging.Rotate(code, turn, color.White)
	if blur > 0 {
		card = imaging.Blur(card, blur)
	}
	return imaging.Paste(frame, card, image.Pt(260, 110))
}

func TestReadCardCodeFromFrame(t *testing.T) {
	for _, c := range []struct {
		name       string
		turn, blur float64
	}{{"square", 0, 0}, {"turned 8°", 8, 0}, {"soft focus", 0, 0.8}} {
		got, err := Read(inFrame(t, cardCode, c.turn, c.blur))
		if err != nil || got != cardCode {
			t.Errorf("%s: %q, %v", c.name, got, err)
		}
	}
}

func TestNoCode(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 640, 480))
	if _, err := Read(blank); !errors.Is(err, ErrNoCode) {
		t.Errorf("blank frame: %v", err)
	}
	if _, err := Read(image.NewGray(image.Rect(0, 0, 5, 5))); !errors.Is(err, ErrNoCode) {
		t.Errorf("tiny frame: %v", err)
	}
	heavy := inFrame(t, cardCode, 0, 6)
	if _, err := Read(heavy); !errors.Is(err, ErrNoCode) {
		t.Errorf("a code blurred beyond reading gave %v", err)
	}
}

// FuzzReadImage feeds arbitrary grey pictures, and pictures with a real code whose modules
// are then overwritten, to the reader: it must answer or say there is no code, never panic.
func FuzzReadImage(f *testing.F) {
	f.Add(uint16(64), uint16(64), []byte{0, 255, 0, 255})
	f.Add(uint16(300), uint16(200), bytes.Repeat([]byte{0, 0, 255}, 100))
	f.Add(uint16(0), uint16(0), []byte{})
	png0, _ := qrcode.Encode(cardCode, qrcode.Medium, 160)
	code, _ := png.Decode(bytes.NewReader(png0))
	base := imaging.Grayscale(code) // small, so each run is quick
	f.Fuzz(func(t *testing.T, w, h uint16, data []byte) {
		var img *image.Gray
		if len(data) > 0 && data[0]%2 == 0 { // a real code, damaged
			img = image.NewGray(base.Bounds())
			for i := range img.Pix {
				img.Pix[i] = base.Pix[4*i]
			}
			for i, v := range data {
				img.Pix[(i*7919+int(w))%len(img.Pix)] = v
			}
		} else {
			img = image.NewGray(image.Rect(0, 0, int(w%256), int(h%256)))
			for i := range img.Pix {
				if len(data) > 0 {
					img.Pix[i] = data[i%len(data)]
				}
			}
		}
		if _, err := Read(img); err != nil && !errors.Is(err, ErrNoCode) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
