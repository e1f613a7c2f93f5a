// Package qr reads QR codes from camera frames: the CCCD card's code held up to the portrait
// camera, for stations without a keyboard-wedge scanner.
package qr

import (
	"errors"
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// ErrNoCode: the frame shows no readable QR code (none, or blurred, or cut off).
var ErrNoCode = errors.New("no readable QR code in the picture")

// maxSide bounds the frames read; camera frames are far smaller.
const maxSide = 4096

// Read returns the text of the QR code in img. The card's code is UTF-8 (Vietnamese names).
func Read(img image.Image) (text string, err error) {
	b := img.Bounds()
	if b.Dx() < 21 || b.Dy() < 21 || b.Dx() > maxSide || b.Dy() > maxSide {
		return "", fmt.Errorf("read QR code: a %dx%d picture cannot hold one: %w", b.Dx(), b.Dy(), ErrNoCode)
	}
	// gozxing is a port of ZXing and indexes arrays from values read in the picture; a
	// malformed code must cost one failed read, not the station.
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("read QR code: the decoder failed on this picture (%v): %w", r, ErrNoCode)
		}
	}()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("read QR code: %v: %w", err, ErrNoCode)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("read QR code: %w", ErrNoCode)
	}
	return res.GetText(), nil
}
