package camera

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/vladimirvivien/go4vl/v4l2"
)

// testScene is a 64×48 picture with colour bars and a gradient, so a decoder that swaps
// channels, mixes up pixel pairs or drops chroma shows.
func testScene() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	bars := []color.RGBA{{235, 235, 235, 255}, {235, 235, 16, 255}, {16, 235, 235, 255}, {16, 235, 16, 255},
		{235, 16, 235, 255}, {235, 16, 16, 255}, {16, 16, 235, 255}, {16, 16, 16, 255}}
	for y := range 48 {
		for x := range 64 {
			c := bars[x/8]
			if y >= 32 {
				v := uint8(16 + x*219/63)
				c = color.RGBA{v, v, v, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// encodeYUYV is the camera side: BT.601 limited-range YUYV with chroma averaged over the pair,
// padded to stride bytes per line as some drivers do.
func encodeYUYV(img *image.RGBA, stride int) []byte {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	buf := make([]byte, stride*h)
	for y := range h {
		for x := 0; x < w; x += 2 {
			var ys [2]int
			var us, vs int
			for k := range 2 {
				c := img.RGBAAt(x+k, y)
				r, g, b := int(c.R), int(c.G), int(c.B)
				ys[k] = (66*r+129*g+25*b+128)>>8 + 16
				us += (-38*r-74*g+112*b+128)>>8 + 128
				vs += (112*r-94*g-18*b+128)>>8 + 128
			}
			o := buf[y*stride+2*x:]
			o[0], o[1], o[2], o[3] = byte(ys[0]), byte(us/2), byte(ys[1]), byte(vs/2)
		}
	}
	return buf
}

func maxDiff(a, b *image.RGBA) int {
	worst := 0
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		worst = max(worst, d, -d)
	}
	return worst
}

func TestDecodeYUYV(t *testing.T) {
	scene := testScene()
	for _, stride := range []int{128, 160} {
		got, err := DecodeYUYV(encodeYUYV(scene, stride), 64, 48, stride)
		if err != nil {
			t.Fatal(err)
		}
		// Pure bars share chroma across each pair, so only rounding separates them.
		if d := maxDiff(got, scene); d > 4 {
			t.Errorf("stride %d: off by up to %d", stride, d)
		}
	}
	short := encodeYUYV(scene, 128)[:128*47]
	if _, err := DecodeYUYV(short, 64, 48, 128); err == nil {
		t.Error("a truncated frame decoded")
	}
	if _, err := DecodeYUYV(make([]byte, 100), 63, 1, 126); err == nil {
		t.Error("an odd width decoded")
	}
}

// TestDecodeMJPEGWithoutHuffmanTables: a UVC camera's frame lacks the DHT segment; the
// decoder must give the same picture as the complete JPEG.
func TestDecodeMJPEGWithoutHuffmanTables(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testScene(), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	want, err := DecodeMJPEG(full)
	if err != nil {
		t.Fatal(err)
	}
	stripped := stripDHT(full)
	if len(stripped) >= len(full) || hasHuffmanTables(stripped) {
		t.Fatal("test frame still has its Huffman tables")
	}
	if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
		t.Fatal("the standard library decodes a frame without tables: the test proves nothing")
	}
	got, err := DecodeMJPEG(stripped)
	if err != nil {
		t.Fatal(err)
	}
	if maxDiff(got, want) != 0 {
		t.Error("the frame without tables decodes differently")
	}
	if d := maxDiff(got, testScene()); d > 40 {
		t.Errorf("decoded frame is off by %d", d)
	}
	for _, bad := range [][]byte{nil, {0xff}, []byte("not a jpeg"), full[:len(full)/2]} {
		if _, err := DecodeMJPEG(bad); err == nil {
			t.Errorf("decoded %d bad bytes", len(bad))
		}
	}
}

// stripDHT removes every DHT segment before the scan, as UVC cameras send MJPEG.
func stripDHT(b []byte) []byte {
	out := append([]byte{}, b[:2]...)
	i := 2
	for i+4 <= len(b) && b[i] == 0xff && b[i+1] != 0xda {
		n := 2 + (int(b[i+2])<<8 | int(b[i+3]))
		if b[i+1] != 0xc4 {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return append(out, b[i:]...)
}

func FuzzDecodeYUYV(f *testing.F) {
	f.Add(encodeYUYV(testScene(), 128), 64, 48, 128)
	f.Add([]byte{16, 128, 235, 128}, 2, 1, 4)
	f.Add([]byte{}, 0, 0, 0)
	f.Fuzz(func(t *testing.T, buf []byte, w, h, stride int) {
		img, err := DecodeYUYV(buf, w, h, stride)
		if err == nil && (img.Bounds().Dx() != w || img.Bounds().Dy() != h) {
			t.Fatalf("decoded %v for %dx%d", img.Bounds(), w, h)
		}
	})
}

func FuzzDecodeMJPEG(f *testing.F) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, testScene(), &jpeg.Options{Quality: 60})
	f.Add(buf.Bytes())
	f.Add(stripDHT(buf.Bytes()))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xda, 0x00, 0x02})
	f.Add([]byte{0xff, 0xd8, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) > 1<<16 {
			return // the decoder's own limits are image/jpeg's; keep the fuzzer fast
		}
		DecodeMJPEG(frame)
	})
}

func TestChooseMode(t *testing.T) {
	m := func(f v4l2.FourCCType, w, h int) Mode { return Mode{f, w, h} }
	cases := []struct {
		offered []Mode
		want    Mode
	}{
		{[]Mode{m(v4l2.PixelFmtMJPEG, 1280, 720), m(v4l2.PixelFmtYUYV, 640, 480), m(v4l2.PixelFmtYUYV, 1280, 720)}, m(v4l2.PixelFmtYUYV, 640, 480)},
		{[]Mode{m(v4l2.PixelFmtYUYV, 1280, 720), m(v4l2.PixelFmtMJPEG, 1280, 720)}, m(v4l2.PixelFmtMJPEG, 1280, 720)},
		{[]Mode{m(v4l2.PixelFmtYUYV, 1280, 720), m(v4l2.PixelFmtYUYV, 320, 240)}, m(v4l2.PixelFmtYUYV, 1280, 720)},
	}
	for _, c := range cases {
		if got, err := ChooseMode(c.offered); err != nil || got != c.want {
			t.Errorf("%v: got %v, %v; want %v", c.offered, got, err, c.want)
		}
	}
	if _, err := ChooseMode([]Mode{m(v4l2.PixelFmtYUYV, 320, 240)}); err == nil {
		t.Error("a 320x240-only camera was given a mode")
	}
}

func halfYCbCr(src *image.YCbCr) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, src.Rect.Dx()/2, src.Rect.Dy()/2))
	halfYCbCrInto(out, src)
	return out
}

func halve(img *image.RGBA) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.Rect.Dx()/2, img.Rect.Dy()/2))
	halveInto(out, img)
	return out
}

func TestHalveAveragesBlocks(t *testing.T) {
	wide := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for i := range wide.Pix {
		wide.Pix[i] = uint8(i / 4 % 256)
	}
	p := halve(wide)
	if p.Bounds() != image.Rect(0, 0, 640, 360) {
		t.Fatalf("preview %v", p.Bounds())
	}
	// Pixel (x, 0) averages source pixels 2x, 2x+1 on rows 0 and 1.
	for _, x := range []int{0, 1, 317, 639} {
		i := 8 * x
		want := (int(wide.Pix[i]) + int(wide.Pix[i+4]) + int(wide.Pix[wide.Stride+i]) + int(wide.Pix[wide.Stride+i+4]) + 2) / 4
		if int(p.Pix[4*x]) != want {
			t.Errorf("pixel %d: %d, want %d", x, p.Pix[4*x], want)
		}
	}
}

// TestFramerModes: each streaming mode gives a preview of about 640 px and keeps the full
// frame for the still; the pictures go back to the pool once released.
func TestFramerModes(t *testing.T) {
	for _, c := range []struct {
		mode    Mode
		preview image.Rectangle
	}{
		{Mode{v4l2.PixelFmtYUYV, 640, 480}, image.Rect(0, 0, 640, 480)},
		{Mode{v4l2.PixelFmtYUYV, 1280, 720}, image.Rect(0, 0, 640, 360)},
		{Mode{v4l2.PixelFmtMJPEG, 640, 480}, image.Rect(0, 0, 640, 480)},
		{Mode{v4l2.PixelFmtMJPEG, 1280, 720}, image.Rect(0, 0, 640, 360)},
	} {
		scene := image.NewRGBA(image.Rect(0, 0, c.mode.Width, c.mode.Height))
		for y := range c.mode.Height {
			for x := range c.mode.Width {
				scene.SetRGBA(x, y, color.RGBA{uint8(x / 5), uint8(y / 3), uint8((x + y) / 8), 255})
			}
		}
		stride := 2 * c.mode.Width
		var frame []byte
		var want image.Image
		if c.mode.Format == v4l2.PixelFmtYUYV {
			frame = encodeYUYV(scene, stride)
			want, _ = DecodeYUYV(frame, c.mode.Width, c.mode.Height, stride)
		} else {
			var buf bytes.Buffer
			jpeg.Encode(&buf, scene, &jpeg.Options{Quality: 90})
			frame = stripDHT(buf.Bytes())
			want, _ = DecodeMJPEG(frame)
		}
		fr := newFramer(c.mode, stride)
		shown, full, hold, err := fr.decode(frame)
		if err != nil {
			t.Fatalf("%s: %v", c.mode, err)
		}
		if shown.Image.Rect != c.preview {
			t.Errorf("%s: preview %v, want %v", c.mode, shown.Image.Rect, c.preview)
		}
		if d := maxDiff(stillCopy(full), want.(*image.RGBA)); d > 0 {
			t.Errorf("%s: full frame differs from the plain decode by %d", c.mode, d)
		}
		if d := maxDiff(shown.Image, halveTo(want.(*image.RGBA), c.preview)); d > 6 {
			t.Errorf("%s: preview off by %d", c.mode, d)
		}
		first := shown.Image
		shown.Release()
		hold.Release()
		again, _, hold2, err := fr.decode(frame)
		if err != nil || again.Image != first {
			t.Errorf("%s: the released preview picture was not reused (%v)", c.mode, err)
		}
		again.Release()
		hold2.Release()
	}
}

func halveTo(img *image.RGBA, r image.Rectangle) *image.RGBA {
	if img.Rect == r {
		return img
	}
	return halve(img)
}

func TestFramerRefusesAFrameOfAnotherSize(t *testing.T) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, testScene(), nil)
	fr := newFramer(Mode{v4l2.PixelFmtMJPEG, 640, 480}, 1280)
	if _, _, _, err := fr.decode(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "640x480") {
		t.Errorf("a %v JPEG in a 640x480 stream: %v", testScene().Bounds(), err)
	}
	fr = newFramer(Mode{v4l2.PixelFmtYUYV, 640, 480}, 1280)
	if _, _, _, err := fr.decode(make([]byte, 1000)); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("a short YUYV frame: %v", err)
	}
	if fr.preview.Idle() != 1 {
		t.Errorf("the refused frame's picture did not go back to the pool (%d idle)", fr.preview.Idle())
	}
}

// The per-frame cost of the two streaming modes: YUYV 640×480, and Motion-JPEG 1280×720 decoded
// and halved for the preview.
func BenchmarkDecodeYUYV640(b *testing.B) {
	scene := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range scene.Pix {
		scene.Pix[i] = uint8(i * 7 % 251)
	}
	buf := encodeYUYV(scene, 1280)
	for b.Loop() {
		if _, err := DecodeYUYV(buf, 640, 480, 1280); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamYUYV640 is the stream's per-frame work: the decode into a picture lent from
// the stream's pool, released as the screen does.
func BenchmarkStreamYUYV640(b *testing.B) {
	scene := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range scene.Pix {
		scene.Pix[i] = uint8(i * 7 % 251)
	}
	buf := encodeYUYV(scene, 1280)
	fr := newFramer(Mode{v4l2.PixelFmtYUYV, 640, 480}, 1280)
	for b.Loop() {
		shown, _, hold, err := fr.decode(buf)
		if err != nil {
			b.Fatal(err)
		}
		shown.Release()
		hold.Release()
	}
}

func BenchmarkDecodeMJPEG720(b *testing.B) {
	scene := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for i := range scene.Pix {
		scene.Pix[i] = uint8((i/4%1280 + i/4/1280) % 256)
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, scene, &jpeg.Options{Quality: 80})
	frame := stripDHT(buf.Bytes())
	for b.Loop() {
		src, err := decodeJPEG(frame)
		if err != nil {
			b.Fatal(err)
		}
		halfYCbCr(src.(*image.YCbCr))
	}
}

// TestHalfYCbCrMatchesFullDecodeHalved: the one-pass preview is the full decode halved, up to
// rounding and the chroma of one sample per block.
func TestHalfYCbCrMatchesFullDecodeHalved(t *testing.T) {
	scene := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for y := range 720 {
		for x := range 1280 {
			scene.SetRGBA(x, y, color.RGBA{uint8(x / 5), uint8(y / 3), uint8((x + y) / 8), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, scene, &jpeg.Options{Quality: 90})
	src, err := decodeJPEG(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	fast, slow := halfYCbCr(src.(*image.YCbCr)), halve(toRGBA(src))
	if fast.Bounds() != slow.Bounds() {
		t.Fatalf("%v vs %v", fast.Bounds(), slow.Bounds())
	}
	if d := maxDiff(fast, slow); d > 6 {
		t.Errorf("one-pass preview off by %d", d)
	}
}

// TestMJPEGHugeHeaderRefused: a damaged frame claiming 60000×60000 pixels is refused before
// the decoder allocates for it (the fuzzer found this slowing it to a crawl).
func TestMJPEGHugeHeaderRefused(t *testing.T) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, testScene(), nil)
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 in the test frame")
	}
	b[i+5], b[i+6], b[i+7], b[i+8] = 0xea, 0x60, 0xea, 0x60
	if _, err := DecodeMJPEG(b); err == nil || !strings.Contains(err.Error(), "60000x60000") {
		t.Errorf("huge header: %v", err)
	}
}
