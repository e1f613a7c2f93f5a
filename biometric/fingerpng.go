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
	"math"
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
// (some readers and tools store R=G=B); a missing pHYs chunk gives ppi 0.
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
	g, ok := img.(*image.Gray)
	if !ok {
		b := img.Bounds()
		g = image.NewGray(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				g.Set(x, y, img.At(x, y))
			}
		}
	}
	return g, pngPPI(data), nil
}

// pngPPI finds the pHYs chunk among the chunks before the image data.
func pngPPI(data []byte) int {
	for off := 8; off+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[off:]))
		typ := string(data[off+4 : off+8])
		if n < 0 || off+12+n > len(data) || typ == "IDAT" {
			return 0
		}
		if typ == "pHYs" && n == 9 && data[off+16] == 1 {
			ppm := binary.BigEndian.Uint32(data[off+8:])
			return int(math.Round(float64(ppm) / inchesPerMetre))
		}
		off += 12 + n
	}
	return 0
}
