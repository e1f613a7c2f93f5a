// Package camera drives USB (UVC) cameras through Linux's V4L2: it finds them, picks a mode,
// streams preview frames decoded to RGBA (dropping frames when the consumer is slow) and
// keeps the newest full-resolution frame for the still.
package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
)

// maxFrameSide bounds what a frame header may claim: 4K cameras are 3840 wide.
const maxFrameSide = 4096

// DecodeYUYV converts a YUYV 4:2:2 frame (Y0 U Y1 V per pixel pair, ITU-R BT.601 limited
// range) of w×h pixels, stride bytes per line, to RGBA.
func DecodeYUYV(buf []byte, w, h, stride int) (*image.RGBA, error) {
	if err := checkYUYV(buf, w, h, stride); err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	yuyvToRGBA(img, buf, w, h, stride)
	return img, nil
}

// decodeYUYVInto is DecodeYUYV into a picture of the frame's size (one lent by the stream).
func decodeYUYVInto(dst *image.RGBA, buf []byte, w, h, stride int) error {
	if err := checkYUYV(buf, w, h, stride); err != nil {
		return err
	}
	if dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("yuyv frame: %dx%d frame for a %dx%d picture", w, h, dst.Rect.Dx(), dst.Rect.Dy())
	}
	yuyvToRGBA(dst, buf, w, h, stride)
	return nil
}

func checkYUYV(buf []byte, w, h, stride int) error {
	if w <= 0 || h <= 0 || w%2 != 0 || w > maxFrameSide || h > maxFrameSide {
		return fmt.Errorf("yuyv frame: size %dx%d is not a YUYV frame size", w, h)
	}
	if stride < 2*w {
		return fmt.Errorf("yuyv frame: %d bytes per line for %d pixels, want at least %d", stride, w, 2*w)
	}
	if need := stride*(h-1) + 2*w; len(buf) < need {
		return fmt.Errorf("yuyv frame: %d bytes, a %dx%d frame needs %d (truncated)", len(buf), w, h, need)
	}
	return nil
}

func yuyvToRGBA(img *image.RGBA, buf []byte, w, h, stride int) {
	for y := range h {
		in := buf[y*stride : y*stride+2*w]
		out := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for i := 0; i+3 < len(in); i += 4 {
			d, e := int(in[i+1])-128, int(in[i+3])-128
			rv, gv, bv := 409*e+128, -100*d-208*e+128, 516*d+128
			c0, c1 := 298*(int(in[i])-16), 298*(int(in[i+2])-16)
			o := out[2*i : 2*i+8 : 2*i+8]
			o[0], o[1], o[2], o[3] = clamp((c0+rv)>>8), clamp((c0+gv)>>8), clamp((c0+bv)>>8), 255
			o[4], o[5], o[6], o[7] = clamp((c1+rv)>>8), clamp((c1+gv)>>8), clamp((c1+bv)>>8), 255
		}
	}
}

func clamp(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// DecodeMJPEG decodes one Motion-JPEG frame to RGBA. UVC cameras often leave out the Huffman
// tables (MJPEG assumes the standard ones, JPEG section K.3); they are put back when missing.
func DecodeMJPEG(frame []byte) (*image.RGBA, error) {
	src, err := decodeJPEG(frame)
	if err != nil {
		return nil, err
	}
	return toRGBA(src), nil
}

func toRGBA(src image.Image) *image.RGBA {
	if rgba, ok := src.(*image.RGBA); ok {
		return rgba
	}
	return stillCopy(src)
}

// halfYCbCrInto converts a 4:2:0 or 4:2:2 frame straight to a half-size RGBA preview in out:
// each output pixel takes the mean luma of its 2×2 block and the block's chroma sample, one
// pass, no full-size RGBA in between.
func halfYCbCrInto(out *image.RGBA, src *image.YCbCr) {
	b := src.Rect
	w, h := min(b.Dx()/2, out.Rect.Dx()), min(b.Dy()/2, out.Rect.Dy())
	for y := range h {
		y0 := src.Y[(2*y)*src.YStride:]
		y1 := src.Y[(2*y+1)*src.YStride:]
		o := out.Pix[y*out.Stride:]
		for x := range w {
			lum := (int(y0[2*x]) + int(y0[2*x+1]) + int(y1[2*x]) + int(y1[2*x+1]) + 2) / 4
			ci := src.COffset(b.Min.X+2*x, b.Min.Y+2*y)
			r, g, bl := color.YCbCrToRGB(uint8(lum), src.Cb[ci], src.Cr[ci])
			o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = r, g, bl, 255
		}
	}
}

// halveInto shrinks src to dst, half its size, with a 2×2 box filter.
func halveInto(out, img *image.RGBA) {
	w, h := min(img.Rect.Dx()/2, out.Rect.Dx()), min(img.Rect.Dy()/2, out.Rect.Dy())
	for y := range h {
		r0, r1 := img.Pix[2*y*img.Stride:], img.Pix[(2*y+1)*img.Stride:]
		o := out.Pix[y*out.Stride:]
		for x := range w {
			for k := range 4 {
				i := 8*x + k
				o[4*x+k] = uint8((int(r0[i]) + int(r0[i+4]) + int(r1[i]) + int(r1[i+4]) + 2) / 4)
			}
		}
	}
}

// stillCopy gives a picture of its own, as RGBA: the stream keeps drawing into its frames.
func stillCopy(src image.Image) *image.RGBA {
	b := src.Bounds()
	img := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(img, img.Bounds(), src, b.Min, draw.Src)
	return img
}

func decodeJPEG(frame []byte) (image.Image, error) {
	if len(frame) < 4 || frame[0] != 0xff || frame[1] != 0xd8 {
		return nil, errors.New("mjpeg frame: does not start with a JPEG start-of-image marker")
	}
	data := frame
	if !hasHuffmanTables(frame) {
		data = make([]byte, 0, len(frame)+len(standardDHT))
		data = append(append(append(data, frame[:2]...), standardDHT...), frame[2:]...)
	}
	// A damaged header can claim a huge picture; the decoder would allocate for it first.
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("mjpeg frame: %w", err)
	}
	if cfg.Width > maxFrameSide || cfg.Height > maxFrameSide {
		return nil, fmt.Errorf("mjpeg frame: header says %dx%d, larger than any camera mode (%d)", cfg.Width, cfg.Height, maxFrameSide)
	}
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("mjpeg frame: %w", err)
	}
	return src, nil
}

// hasHuffmanTables walks the marker segments up to the start of scan looking for a DHT.
func hasHuffmanTables(b []byte) bool {
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			return false
		}
		m := b[i+1]
		switch {
		case m == 0xc4:
			return true
		case m == 0xda: // start of scan: the tables would have come before it
			return false
		case m == 0xff: // fill byte
			i++
			continue
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	return false
}

// standardDHT is one DHT segment with the four standard tables of JPEG Annex K.3.
var standardDHT = func() []byte {
	tables := []struct {
		class byte // high nibble AC (1) or DC (0), low nibble table id
		bits  [16]byte
		vals  []byte
	}{
		{0x00, [16]byte{0, 1, 5, 1, 1, 1, 1, 1, 1}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{0x10, [16]byte{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d}, []byte{
			0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
			0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
			0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
			0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
			0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
			0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
			0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
			0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
			0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
			0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa}},
		{0x01, [16]byte{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{0x11, [16]byte{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77}, []byte{
			0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
			0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
			0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
			0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
			0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
			0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
			0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
			0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
			0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
			0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa}},
	}
	var body []byte
	for _, t := range tables {
		body = append(append(append(body, t.class), t.bits[:]...), t.vals...)
	}
	n := len(body) + 2
	return append([]byte{0xff, 0xc4, byte(n >> 8), byte(n)}, body...)
}()
