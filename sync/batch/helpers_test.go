package batch

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// Keys derived from fixed seeds, so fuzz targets and tests are reproducible.
func testKeys(t testing.TB, seed byte) (hpke.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	kem, _, _ := Suite()
	ikm := bytes.Repeat([]byte{seed}, 32)
	hk, err := kem.DeriveKeyPair(ikm)
	if err != nil {
		t.Fatal(err)
	}
	seed25519 := sha256.Sum256(append([]byte("ed25519 "), ikm...))
	return hk, ed25519.NewKeyFromSeed(seed25519[:])
}

var hanoi = time.FixedZone("ICT", 7*3600)

func testHeader(seq int64) Header {
	return Header{
		ID:          fmt.Sprintf("0b6d5e2a-4f1c-4a8e-9d3b-%012d", seq),
		Station:     "HN-DD-KT-01",
		Seq:         seq,
		Created:     time.Date(2025, 3, 14, 16, 5, 9, 123456789, hanoi),
		Endorsement: []byte("certificate-signed endorsement of the station key"),
	}
}

// fingerPNG draws a ridge pattern (8-bit grey, like the reader's) and encodes it.
func fingerPNG(t testing.TB, w, h int, phase float64) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r := math.Hypot(float64(x)-cx, (float64(y)-cy)*1.3)
			img.SetGray(x, y, color.Gray{uint8(128 + 100*math.Sin(r/2.2+phase))})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// portraitJPEG is a smooth face-coloured picture, or with noise a large hard-to-compress one.
func portraitJPEG(t testing.TB, w, h int, noise bool, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(180 + x%60), uint8(140 + y%50), uint8(120 + (x+y)%40), 255}
			if noise {
				c = color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func capture(t testing.TB, p enroll.FingerPosition, size int) enroll.FingerCapture {
	return enroll.FingerCapture{
		Position: p, PNG: fingerPNG(t, size, size, float64(p)), Width: size, Height: size, PPI: 500,
		Device: "SecuGen Hamster Pro 20 H58220311", Driver: "sgfplib", Attempts: 1 + int(p)%3,
		Quality: enroll.FingerScore{Score: 55 + int(p), Features: map[string]float64{"contrast": 0.62, "ridge_clarity": 0.5 + float64(p)/100}},
	}
}

func portrait(t testing.TB, jpg []byte, at time.Time) *enroll.Portrait {
	return &enroll.Portrait{
		JPEG: jpg, Width: 300, Height: 400, Device: "Logitech C920", CapturedAt: at,
		Checks: []enroll.PortraitCheck{{Name: "face_count", Pass: true, Value: 1}, {Name: "sharpness", Pass: true, Value: 0.83}},
	}
}

// sampleRecords are the kinds of record a batch carries. Calling it twice gives equal values.
func sampleRecords(t testing.TB) []*enroll.Enrollment {
	t.Helper()
	at := time.Date(2025, 3, 14, 9, 30, 0, 0, hanoi)
	base := func(id, pid, name string, dob enroll.Date, g enroll.Gender, addr string) *enroll.Enrollment {
		return &enroll.Enrollment{
			ID: id, Status: enroll.StatusComplete, Step: enroll.StepSaved, Station: "HN-DD-KT-01", Officer: "canbo.lan",
			CreatedAt: at, UpdatedAt: at.Add(7 * time.Minute), CompletedAt: at.Add(8 * time.Minute),
			Citizen: enroll.Citizen{PersonalID: enroll.PersonalID(pid), FullName: name, DateOfBirth: dob, Gender: g,
				Address: addr, IssueDate: enroll.Date{Year: 2021, Month: 6, Day: 2}},
			Phone: "0912345678", Consent: true, ConsentAt: at.Add(8 * time.Minute),
		}
	}

	// Level 2: both index fingers, health insurance and driving licence integrated.
	a := base("3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5e01", "001090012345", "Nguyễn Thị Ánh Tuyết",
		enroll.Date{Year: 1990, Month: 11, Day: 23}, enroll.Female,
		"Số 12 ngõ 34 phố Đội Cấn, phường Ngọc Hà, quận Ba Đình, Hà Nội")
	a.Email = "anh.tuyet@example.vn"
	a.Integrations = []enroll.IntegrationRequest{{Kind: enroll.IntegrationHealthInsurance, Number: "DN4010123456789"},
		{Kind: enroll.IntegrationDrivingLicence}}
	a.Portrait = portrait(t, portraitJPEG(t, 120, 160, false, 1), at.Add(3*time.Minute))
	a.FingerSet = enroll.Level2Fingers()
	a.Fingers = []enroll.FingerCapture{capture(t, enroll.RightIndex, 96), capture(t, enroll.LeftIndex, 96)}

	// Ten-print, with one print a supervisor accepted below the threshold.
	b := base("3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5e02", "079205001234", "Trần Đức Thắng",
		enroll.Date{Year: 2005, Month: 2, Day: 28}, enroll.Male, "Ấp Phước Lợi, xã Phước Kiển, huyện Nhà Bè, TP. Hồ Chí Minh")
	b.Portrait = portrait(t, portraitJPEG(t, 90, 120, false, 2), at.Add(2*time.Minute))
	b.Portrait.Override = "kính cận không tháo được"
	b.FingerSet = enroll.TenPrint()
	for _, p := range enroll.TenPrint() {
		b.Fingers = append(b.Fingers, capture(t, p, 64))
	}
	b.Fingers[4].Quality = enroll.FingerScore{Score: 31, Flags: []string{"partial"}}
	b.Fingers[4].AcceptedBy, b.Fingers[4].AcceptedReason = "truong.ca", "sẹo bỏng cũ"

	// A finger exception instead of the left index.
	c := base("3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5e03", "038072000777", "Lê Văn Đạt",
		enroll.Date{Year: 1972, Month: 7, Day: 1}, enroll.Male, "Thôn Đông, xã Quảng Hòa, Thanh Hóa")
	c.Portrait = portrait(t, portraitJPEG(t, 60, 80, false, 3), at)
	c.FingerSet = enroll.Level2Fingers()
	c.Fingers = []enroll.FingerCapture{capture(t, enroll.RightIndex, 80)}
	c.Exceptions = []enroll.FingerException{{Position: enroll.LeftIndex, Reason: enroll.ExceptionAmputated,
		Note: "cụt đốt ngón do tai nạn lao động"}}

	// A large portrait (noise does not compress), so that a record spans several chunks.
	d := base("3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5e04", "001301009876", "Phạm Ngọc Ánh",
		enroll.Date{Year: 2001, Month: 1, Day: 9}, enroll.Female, "Phường Hải Châu 1, Đà Nẵng")
	d.Portrait = portrait(t, portraitJPEG(t, 300, 400, true, 4), at)
	d.FingerSet = enroll.Level2Fingers()
	d.Fingers = []enroll.FingerCapture{capture(t, enroll.LeftIndex, 120), capture(t, enroll.RightIndex, 120)}

	// No portrait and no images at all: the format must carry it even if no complete record
	// looks like this.
	e := base("3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5e05", "001199000001", "Đỗ Thu Hà",
		enroll.Date{Year: 1999, Month: 12, Day: 31}, enroll.Female, "")
	return []*enroll.Enrollment{a, b, c, d, e}
}

// build writes recs into a batch and returns its bytes and manifest.
func build(t testing.TB, h Header, recs []*enroll.Enrollment, to hpke.PublicKey, key ed25519.PrivateKey) ([]byte, Manifest) {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, h, to, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range recs {
		if err := w.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if w.Written() != int64(out.Len()) {
		t.Fatalf("Written() = %d, output is %d bytes", w.Written(), out.Len())
	}
	return out.Bytes(), m
}

// tframe is a frame as the tests see it: where it starts and its payload.
type tframe struct {
	typ     byte
	at      int // offset of the frame's type byte
	payload []byte
}

func (f tframe) end() int { return f.at + frameHeadSize + len(f.payload) }

// splitFrames cuts a well-formed batch into its frames, independently of the readers.
func splitFrames(t testing.TB, b []byte) []tframe {
	t.Helper()
	var fs []tframe
	for off := preambleSize; off < len(b); {
		if off+frameHeadSize > len(b) {
			t.Fatalf("frame header at %d cut", off)
		}
		n := int(binary.BigEndian.Uint32(b[off+1:]))
		fs = append(fs, tframe{typ: b[off], at: off, payload: b[off+frameHeadSize : off+frameHeadSize+n]})
		off += frameHeadSize + n
	}
	return fs
}

// joinFrames writes frames after the preamble of b. With a key, the signature frame is
// replaced by a fresh signature over what precedes it, as a station holding the key would.
func joinFrames(fs []tframe, key ed25519.PrivateKey) []byte {
	var out bytes.Buffer
	out.Write(magic[:])
	out.Write([]byte{0, Format})
	for _, f := range fs {
		p := f.payload
		if f.typ == frameSig && key != nil {
			sum := sha256.Sum256(out.Bytes())
			p = ed25519.Sign(key, sigMessage(sum[:]))
		}
		var head [frameHeadSize]byte
		head[0] = f.typ
		binary.BigEndian.PutUint32(head[1:], uint32(len(p)))
		out.Write(head[:])
		out.Write(p)
	}
	return out.Bytes()
}

// utc returns a copy of a record with every time in UTC and no monotonic reading, the form in
// which it comes back from JSON, so records compare with reflect.DeepEqual.
func utc(e *enroll.Enrollment) enroll.Enrollment {
	c := *e
	n := func(t time.Time) time.Time { return t.UTC().Round(0) }
	c.CreatedAt, c.UpdatedAt, c.CompletedAt, c.ConsentAt = n(c.CreatedAt), n(c.UpdatedAt), n(c.CompletedAt), n(c.ConsentAt)
	if c.Portrait != nil {
		p := *c.Portrait
		p.CapturedAt = n(p.CapturedAt)
		c.Portrait = &p
	}
	return c
}
