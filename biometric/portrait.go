package biometric

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/disintegration/imaging"
)

// Stored portrait size: 3:4, large enough that a frontal face filling the ICAO head height
// (70-80 % of the image) has an inter-eye distance well over 90 px.
const (
	PortraitWidth  = 480
	PortraitHeight = 640
	// PortraitJPEGQuality keeps compression artefacts below what face matching notices while
	// a portrait stays around 50-80 KB.
	PortraitJPEGQuality = 90
)

// CropPortraitCentre cuts the largest centred 3:4 region from a camera still and scales it to
// the stored size. It is the fallback framing when no face position is known.
func CropPortraitCentre(img image.Image) (*image.NRGBA, error) {
	b := img.Bounds()
	if b.Dx() < 60 || b.Dy() < 80 {
		return nil, fmt.Errorf("crop portrait: image %dx%d is too small", b.Dx(), b.Dy())
	}
	w, h := b.Dx(), b.Dy()
	if w*4 > h*3 {
		w = h * 3 / 4
	} else {
		h = w * 4 / 3
	}
	crop := imaging.CropCenter(img, w, h)
	return imaging.Resize(crop, PortraitWidth, PortraitHeight, imaging.Lanczos), nil
}

// EncodePortraitJPEG encodes the crop for storage.
func EncodePortraitJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: PortraitJPEGQuality}); err != nil {
		return nil, fmt.Errorf("encode portrait: %w", err)
	}
	return buf.Bytes(), nil
}
