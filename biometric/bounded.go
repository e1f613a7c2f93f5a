package biometric

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
)

// Limits on images from outside the station (a photo file, a finger image in a record or a
// batch). An image header may claim any size; decoding first and asking later lets a 3.5 MB
// PNG claiming 60 000 × 60 000 px take 4.4 GB. Both limits are well above what real devices
// make: a 40 Mpx photo is 8 000 × 5 000 px, and a 1 000 ppi slap of four fingers ~3 200 × 2 000.
const (
	MaxPhotoPixels  = 40_000_000
	MaxFingerPixels = 8_000_000
	MaxImageBytes   = 64 << 20
)

// ErrImageTooLarge is an image whose size is past the limit: nothing of it was decoded.
var ErrImageTooLarge = errors.New("image too large")

// DecodeBounded decodes an image (any registered format) only after its header says it has
// at most maxPixels pixels.
func DecodeBounded(data []byte, maxPixels int) (image.Image, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("read image header: %w", err)
	}
	if err := checkPixels(cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, format, err
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, format, fmt.Errorf("decode %s image: %w", format, err)
	}
	return img, format, nil
}

func checkPixels(w, h, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("image is %d×%d px: no pixels", w, h)
	}
	if int64(w)*int64(h) > int64(maxPixels) {
		return fmt.Errorf("%w: %d×%d px is %.0f Mpx, at most %.0f Mpx is accepted", ErrImageTooLarge, w, h,
			float64(w)*float64(h)/1e6, float64(maxPixels)/1e6)
	}
	return nil
}

// ReadImageFile reads an image file of at most MaxImageBytes and decodes it within maxPixels.
func ReadImageFile(path string, maxPixels int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxImageBytes {
		return nil, fmt.Errorf("read %s: %w: the file is over %d MB", path, ErrImageTooLarge, MaxImageBytes>>20)
	}
	img, _, err := DecodeBounded(data, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return img, nil
}
