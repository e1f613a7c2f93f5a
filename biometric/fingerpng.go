// Package biometric holds the image work shared by station and central: finger image
// encoding, and (as it grows) quality measures and portrait checks.
package biometric

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math"
	"os"
)

const inchesPerMetre = 1 / 0.0254

// EncodeFingerPNG stores a finger image losslessly as 8-bit greyscale PNG and writes its
// resolution into the pHYs chunk: a finger image without its ppi cannot be matched reliably.
func EncodeFingerPNG(img *image.Gray, ppi int) ([]byte, error) {
	if ppi <= 0 {
		return nil, fmt.Errorf("encode finger image: resolution %d ppi is not positive", ppi)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode finger image: %w", err)
	}
	b := buf.Bytes()
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	if len(b) < afterIHDR || string(b[12:16]) != "IHDR" {
		return nil, errors.New("encode finger image: encoder wrote no IHDR")
	}
	ppm := uint32(math.Round(float64(ppi) * inchesPerMetre))
	chunk := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(chunk[0:], 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	out := make([]byte, 0, len(b)+len(chunk))
	out = append(out, b[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, b[afterIHDR:]...), nil
}

// DecodeFingerPNG reads a finger image and its resolution. Colour images are converted to grey
// (some readers and tools store R=G=B); a missing or implausible pHYs chunk gives ppi 0.
func DecodeFingerPNG(data []byte) (*image.Gray, int, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, 0, fmt.Errorf("decode finger image: %w", err)
	}
	if err := checkPixels(cfg.Width, cfg.Height, MaxFingerPixels); err != nil {
		return nil, 0, fmt.Errorf("decode finger image: %w", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, fmt.Errorf("decode finger image: %w", err)
	}
	return fingerGray(img), pngPPI(data), nil
}

// MeasureFingerPNG scores a finger image stored as PNG at the resolution its pHYs chunk
// gives, or, without one, at the resolution estimated from its ridges (MeasureFingerAt).
func MeasureFingerPNG(data []byte) (FingerQuality, error) {
	img, ppi, err := DecodeFingerPNG(data)
	if err != nil {
		return FingerQuality{}, err
	}
	q := MeasureFingerAt(img, ppi)
	if q.PPISource == PPIGiven {
		q.PPISource = PPIFromPNG
	}
	return q, nil
}

// ReadFingerFile reads a finger image file of at most MaxImageBytes and MaxFingerPixels: a PNG
// with its resolution from pHYs (0 when it has none), any other format with resolution 0.
func ReadFingerFile(path string) (*image.Gray, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxImageBytes {
		return nil, 0, fmt.Errorf("read %s: %w: the file is over %d MB", path, ErrImageTooLarge, MaxImageBytes>>20)
	}
	if bytes.HasPrefix(data, []byte(pngSignature)) {
		g, ppi, err := DecodeFingerPNG(data)
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", path, err)
		}
		return g, ppi, nil
	}
	img, _, err := DecodeBounded(data, MaxFingerPixels)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	return fingerGray(img), 0, nil
}

const pngSignature = "\x89PNG\r\n\x1a\n"

// fingerGray returns img as 8-bit grey, converting colour (luminance) where needed.
func fingerGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}

// Resolutions a pHYs chunk may give for a finger image; anything else is a tool's default
// (72 or 96 dpi for a screenshot) or garbage, and counts as unknown.
const (
	minPNGPPI = 100
	maxPNGPPI = 5000
)

// pngPPI finds the pHYs chunk among the chunks before the image data and returns its
// resolution in pixels per inch, or 0: no chunk, a unit other than the metre (unit 0 gives
// only the aspect ratio), pixels that are not square (to 1 %), or a figure no fingerprint
// reader has (outside 100-5 000 ppi).
func pngPPI(data []byte) int {
	if !bytes.HasPrefix(data, []byte(pngSignature)) {
		return 0
	}
	for off := len(pngSignature); off+12 <= len(data); {
		n := int64(binary.BigEndian.Uint32(data[off:]))
		typ := string(data[off+4 : off+8])
		if int64(off)+12+n > int64(len(data)) || typ == "IDAT" {
			return 0
		}
		if typ == "pHYs" {
			if n != 9 || data[off+16] != 1 {
				return 0
			}
			px := float64(binary.BigEndian.Uint32(data[off+8:])) / inchesPerMetre
			py := float64(binary.BigEndian.Uint32(data[off+12:])) / inchesPerMetre
			if px < minPNGPPI || px > maxPNGPPI || math.Abs(px-py) > 0.01*px {
				return 0
			}
			return int(math.Round(px))
		}
		off += 12 + int(n)
	}
	return 0
}
