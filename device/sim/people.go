package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
)

// Synthetic citizens for training data and benchmarks. Family-name shares follow published
// estimates for Vietnam (Nguyễn about 38 %, Trần 11 %, Lê 9.5 %, …); middle and given names
// are common ones, by gender.

var familyNames = []struct {
	name  string
	share float64
}{
	{"Nguyễn", 38}, {"Trần", 11}, {"Lê", 9.5}, {"Phạm", 7}, {"Hoàng", 5.1}, {"Huỳnh", 4},
	{"Phan", 4.5}, {"Vũ", 3.9}, {"Võ", 3}, {"Đặng", 2.1}, {"Bùi", 2}, {"Đỗ", 1.4},
	{"Hồ", 1.3}, {"Ngô", 1.3}, {"Dương", 1}, {"Lý", 0.5}, {"Đinh", 0.9}, {"Trịnh", 0.8},
	{"Lương", 0.6}, {"Mai", 0.5}, {"Tô", 0.4}, {"Hà", 0.5}, {"Cao", 0.4}, {"Đoàn", 0.5},
}

var (
	maleMiddle   = []string{"Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Hoàng", "Gia", "Tuấn", "Ngọc", "Quang", "Trọng"}
	femaleMiddle = []string{"Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Mai", "Phương", "Bảo", "Khánh", "Thúy"}
	maleGiven    = []string{"An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh", "Khoa", "Kiên", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Trung", "Tuấn", "Việt", "Vinh"}
	femaleGiven  = []string{"An", "Anh", "Ánh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Thu", "Trang", "Tuyết", "Uyên", "Vân", "Yến"}
	streets      = []string{"Khâm Thiên", "Lê Duẩn", "Tôn Đức Thắng", "Nguyễn Lương Bằng", "Giải Phóng", "Trần Hưng Đạo", "Lê Lợi", "Hai Bà Trưng", "Nguyễn Trãi", "Quang Trung"}
	wards        = []string{"Khâm Thiên", "Văn Miếu", "Ô Chợ Dừa", "Kim Liên", "Phương Liên", "Trung Phụng", "Văn Chương", "Láng Thượng"}
	mailDomains  = []string{"gmail.com", "yahoo.com.vn", "outlook.com", "vnn.vn"}
)

// Population makes synthetic complete enrollments. Rendering a print or a portrait takes tens
// of milliseconds, so a population draws its images from a pool rendered once: records differ
// in every personal field, and images repeat across records once there are more records than
// the pool holds.
type Population struct {
	rng       *rand.Rand
	seed      uint64
	fingers   [][]byte
	scores    []enroll.FingerScore
	portraits [][]byte
}

// NewPopulation renders a pool of pool fingerprints and pool/4+1 portraits.
func NewPopulation(ctx context.Context, seed uint64, pool int) (*Population, error) {
	p := &Population{rng: rand.New(rand.NewPCG(seed, 0xc17)), seed: seed}
	for i := range pool {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		img := Fingerprint(seed+uint64(i), 0.6+0.4*p.rng.Float64())
		png, err := biometric.EncodeFingerPNG(img, FingerPPI)
		if err != nil {
			return nil, err
		}
		p.fingers = append(p.fingers, png)
		p.scores = append(p.scores, biometric.MeasureFingerAt(img, FingerPPI).Record())
	}
	cam := NewCamera(func() time.Time { return time.Unix(0, 0) })
	for i := range pool/4 + 1 {
		cam.start = time.Unix(0, 0).Add(-time.Duration(i) * 700 * time.Millisecond)
		still, err := cam.Still(ctx)
		if err != nil {
			return nil, err
		}
		crop, err := biometric.CropPortraitCentre(still)
		if err != nil {
			return nil, err
		}
		jpg, err := biometric.EncodePortraitJPEG(crop)
		if err != nil {
			return nil, err
		}
		p.portraits = append(p.portraits, jpg)
	}
	return p, nil
}

func (p *Population) pick(list []string) string { return list[p.rng.IntN(len(list))] }

func (p *Population) familyName() string {
	total := 0.0
	for _, f := range familyNames {
		total += f.share
	}
	x := p.rng.Float64() * total
	for _, f := range familyNames {
		if x -= f.share; x < 0 {
			return f.name
		}
	}
	return familyNames[0].name
}

// Citizen draws one synthetic person, born between 1940 and 2010, with a personal ID number
// consistent with the birth date and gender.
func (p *Population) Citizen() (enroll.Citizen, error) {
	g := enroll.Male
	middle, given := maleMiddle, maleGiven
	if p.rng.IntN(2) == 1 {
		g, middle, given = enroll.Female, femaleMiddle, femaleGiven
	}
	name := p.familyName() + " " + p.pick(middle) + " " + p.pick(given)
	dob := enroll.DateOf(time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p.rng.IntN(70*365)))
	codes := enroll.ProvinceCodes()
	id, err := enroll.NewPersonalID(codes[p.rng.IntN(len(codes))], dob, g, p.rng.IntN(1000000))
	if err != nil {
		return enroll.Citizen{}, fmt.Errorf("synthetic citizen born %s: %w", dob, err)
	}
	issue := enroll.DateOf(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p.rng.IntN(4*365)))
	if issue.Before(dob) {
		issue = enroll.Date{}
	}
	return enroll.Citizen{
		PersonalID: id, FullName: name, DateOfBirth: dob, Gender: g, IssueDate: issue,
		Address: fmt.Sprintf("Số %d %s, Phường %s, Đống Đa, Hà Nội", 1+p.rng.IntN(200), p.pick(streets), p.pick(wards)),
	}, nil
}

// QR renders the citizen as the CCCD's QR text, for scanner simulations and tests.
func QR(c enroll.Citizen) string {
	compact := func(d enroll.Date) string { return strings.ReplaceAll(d.String(), "/", "") }
	return strings.Join([]string{string(c.PersonalID), c.OldID, c.FullName, compact(c.DateOfBirth),
		c.Gender.CardWord(), c.Address, compact(c.IssueDate)}, "|")
}

// Enrollment draws a complete, consented level-2 record for station and officer.
func (p *Population) Enrollment(station, officer string, at time.Time) (*enroll.Enrollment, error) {
	e, _, err := p.Person(station, officer, at)
	return e, err
}

// Fingers says which simulated finger each captured position of a record shows: the finger
// identity NewImpression renders, so that another impression of the same finger (a reference
// print taken at card issuance) can be made.
type Fingers map[enroll.FingerPosition]uint64

// Person draws a record as Enrollment does, and the fingers its prints are of. A citizen's
// positions hold different fingers of the pool (while the pool has enough of them).
func (p *Population) Person(station, officer string, at time.Time) (*enroll.Enrollment, Fingers, error) {
	c, err := p.Citizen()
	if err != nil {
		return nil, nil, err
	}
	e := &enroll.Enrollment{Status: enroll.StatusDraft, Station: station, Officer: officer, Citizen: c,
		FingerSet: enroll.Level2Fingers(), Consent: true, ConsentAt: at, Step: enroll.StepSaved}
	if p.rng.Float64() < 0.9 {
		e.Phone = fmt.Sprintf("0%c%08d", "35789"[p.rng.IntN(5)], p.rng.IntN(100000000))
	}
	if e.Phone == "" || p.rng.Float64() < 0.3 {
		e.Email = fmt.Sprintf("%s.%d@%s", strings.ReplaceAll(enroll.SearchKey(c.FullName), " ", "."), p.rng.IntN(1000), p.pick(mailDomains))
	}
	if p.rng.Float64() < 0.4 {
		e.Integrations = append(e.Integrations, enroll.IntegrationRequest{Kind: enroll.IntegrationHealthInsurance,
			Number: fmt.Sprintf("DN%013d", p.rng.Int64N(1e13))})
	}
	if p.rng.Float64() < 0.2 {
		e.Integrations = append(e.Integrations, enroll.IntegrationRequest{Kind: enroll.IntegrationDrivingLicence})
	}
	e.Portrait = &enroll.Portrait{JPEG: p.portraits[p.rng.IntN(len(p.portraits))], Width: biometric.PortraitWidth,
		Height: biometric.PortraitHeight, Device: "Simulated camera", CapturedAt: at}
	fingers := Fingers{}
	first := p.rng.IntN(len(p.fingers))
	for j, pos := range e.FingerSet {
		if p.rng.Float64() < 0.01 {
			e.SetException(enroll.FingerException{Position: pos, Reason: enroll.ExceptionInjured, Note: "băng bó"})
			continue
		}
		i := (first + j) % len(p.fingers)
		fingers[pos] = p.seed + uint64(i)
		e.SetFinger(enroll.FingerCapture{Position: pos, PNG: p.fingers[i], Quality: p.scores[i],
			Width: FingerWidth, Height: FingerHeight, PPI: FingerPPI, Device: "Simulated fingerprint reader",
			Driver: "sim", Attempts: 1 + p.rng.IntN(2)})
	}
	return e, fingers, nil
}
