package store

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// fastKDF keeps tests quick; the production cost is exercised by the login benchmark.
var fastKDF = WithPasswordParams(PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1})

func openTest(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "station.db"), append([]Option{fastKDF}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Init(context.Background(), testSetup()); err != nil {
		t.Fatal(err)
	}
	return s
}

func testSetup() enroll.StationSetup {
	return enroll.StationSetup{Office: "Công an phường Dịch Vọng", Code: "HN-DD-01",
		Supervisor: enroll.OfficerForm{Username: "lan.nt", FullName: "Nguyễn Thị Lan", Password: "matkhau2026", Confirm: "matkhau2026"}}
}

func completeRecord(t testing.TB, name, id string) *enroll.Enrollment {
	t.Helper()
	gender := "Nam"
	if (id[3]-'0')%2 == 1 {
		gender = "Nữ"
	}
	form := enroll.CitizenForm{PersonalID: id, FullName: name, DateOfBirth: "14/03/1987", Gender: gender, Address: "Hà Nội"}
	c, errs := form.Validate(enroll.Date{Year: 2026, Month: 11, Day: 25})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e := &enroll.Enrollment{Station: "HN-DD-01", Officer: "lan.nt", Citizen: c, Phone: "0912345678",
		FingerSet: enroll.Level2Fingers(), Consent: true, ConsentAt: time.Now()}
	e.Portrait = &enroll.Portrait{JPEG: []byte("\xff\xd8portrait\xff\xd9"), Width: 360, Height: 480, Device: "sim"}
	e.SetFinger(enroll.FingerCapture{Position: enroll.RightIndex, PNG: []byte("\x89PNGright"), Width: 320, Height: 400, PPI: 500, Device: "sim", Attempts: 2,
		Quality: enroll.FingerScore{Score: 67, Flags: []string{"too_light"}, Features: map[string]float64{"clarity": 0.5}}})
	e.SetException(enroll.FingerException{Position: enroll.LeftIndex, Reason: enroll.ExceptionInjured, Note: "ngón tay băng bó"})
	return e
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	for i := 0; i < 2; i++ {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		s.db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
		var mode string
		s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
		var fk int
		s.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
		s.Close()
		files, _ := fs.Glob(migrations, "migrations/*.sql")
		if n != len(files) || n < 2 || mode != "wal" || fk != 1 {
			t.Fatalf("open %d: migrations=%d journal=%s fk=%d", i, n, mode, fk)
		}
	}
}

func TestDraftThenCompleteRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	e.Consent = false
	e.Step = enroll.StepReview
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.ID == "" || e.Status != enroll.StatusDraft {
		t.Fatalf("draft not created: %+v", e)
	}
	id := e.ID
	// Completing without consent is refused and leaves a draft.
	err := s.Complete(ctx, e)
	var verrs enroll.ValidationErrors
	if !errors.As(err, &verrs) || verrs.For(enroll.FieldConsent) == nil {
		t.Fatalf("complete without consent: %v", err)
	}
	e.Consent = true
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.ID != id {
		t.Fatal("id changed on completion")
	}
	got, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != enroll.StatusComplete || got.CompletedAt.IsZero() || got.Citizen != e.Citizen || got.Phone != e.Phone {
		t.Errorf("read back %+v", got)
	}
	if !bytes.Equal(got.Portrait.JPEG, e.Portrait.JPEG) || got.Portrait.Width != 360 {
		t.Errorf("portrait %+v", got.Portrait)
	}
	f, ok := got.Finger(enroll.RightIndex)
	if !ok || !bytes.Equal(f.PNG, []byte("\x89PNGright")) || f.PPI != 500 || f.Attempts != 2 ||
		f.Quality.Score != 67 || f.Quality.Flags[0] != "too_light" || f.Quality.Features["clarity"] != 0.5 {
		t.Errorf("finger %+v", f)
	}
	if x, ok := got.Exception(enroll.LeftIndex); !ok || x.Reason != enroll.ExceptionInjured || x.Note != "ngón tay băng bó" {
		t.Errorf("exception %+v", x)
	}
	// A completed record is no longer editable as a draft.
	if err := s.SaveDraft(ctx, e); !errors.Is(err, ErrNotDraft) {
		t.Errorf("draft over complete: %v", err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRetakeReplacesImages(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := completeRecord(t, "Lê Thị Hoa", "001187012345")
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	e.SetFinger(enroll.FingerCapture{Position: enroll.LeftIndex, PNG: []byte("new left")})
	e.ClearFinger(enroll.RightIndex)
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	var n int
	s.db.QueryRow(`SELECT count(*) FROM images WHERE enrollment_id = ? AND kind = 'finger'`, e.ID).Scan(&n)
	got, _ := s.Get(ctx, e.ID)
	if n != 1 || len(got.Fingers) != 1 || string(got.Fingers[0].PNG) != "new left" || len(got.Exceptions) != 0 {
		t.Errorf("images=%d fingers=%+v exceptions=%+v", n, got.Fingers, got.Exceptions)
	}
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	people := []struct{ name, id, phone string }{
		{"Nguyễn Văn An", "001087012345", "0912345678"},
		{"Nguyễn Thị Ánh", "001187000001", "0387000001"},
		{"Trần Văn Anh", "036087000002", "0901000002"},
		{"Đặng Quốc Bảo", "048087000003", ""},
	}
	for _, p := range people {
		e := completeRecord(t, p.name, p.id)
		e.Phone = p.phone
		if p.phone == "" {
			e.Email = "bao@example.vn"
		}
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(p.name, err)
		}
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"nguyen van an", []string{"Nguyễn Văn An"}},
		{"nguyen van a", nil}, // blind indexes match whole words only
		{"Nguyễn", []string{"Nguyễn Thị Ánh", "Nguyễn Văn An"}},
		{"NGUYEN", []string{"Nguyễn Thị Ánh", "Nguyễn Văn An"}},
		{"van an", []string{"Nguyễn Văn An"}},
		{"Văn", []string{"Nguyễn Văn An", "Trần Văn Anh"}},
		{"anh", []string{"Nguyễn Thị Ánh", "Trần Văn Anh"}},
		{"dang quoc", []string{"Đặng Quốc Bảo"}},
		{"bao", []string{"Đặng Quốc Bảo"}},
		{"001087012345", []string{"Nguyễn Văn An"}},
		{"001 187 000 001", []string{"Nguyễn Thị Ánh"}},
		{"001", nil}, // whole numbers only
		{"+84 912 345 678", []string{"Nguyễn Văn An"}},
		{"0387000001", []string{"Nguyễn Thị Ánh"}},
		{"0387", nil},
		{"xyz", nil},
	}
	for _, c := range cases {
		res, err := s.Search(ctx, c.q, 50)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res {
			got = append(got, r.FullName)
		}
		if !sameSet(got, c.want) {
			t.Errorf("search %q = %v, want %v", c.q, got, c.want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

func TestDraftsListAndDelete(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := &enroll.Enrollment{Officer: "lan.nt", Station: "x", Step: enroll.StepContact}
	e.Citizen.FullName = "Phạm Minh Tuấn"
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	d, err := s.Drafts(ctx, "lan.nt")
	if err != nil || len(d) != 1 || d[0].ID != e.ID || d[0].Step != enroll.StepContact {
		t.Fatalf("drafts %+v %v", d, err)
	}
	if err := s.DeleteDraft(ctx, "lan.nt", e.ID); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.Search(ctx, "tuan", 10); len(res) != 0 {
		t.Errorf("deleted draft still found: %+v", res)
	}
}

func TestOfficers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	o, err := s.Authenticate(ctx, "lan.nt", "matkhau2026")
	if err != nil || o.Role != enroll.RoleSupervisor || o.FullName != "Nguyễn Thị Lan" {
		t.Fatalf("login: %+v %v", o, err)
	}
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2025"); !errors.Is(err, enroll.ErrBadLogin) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "nobody", "matkhau2026"); !errors.Is(err, enroll.ErrBadLogin) {
		t.Errorf("unknown user: %v", err)
	}
	_, err = s.CreateOfficer(ctx, "lan.nt", enroll.OfficerForm{Username: "lan.nt", FullName: "Khác", Role: enroll.RoleOfficer, Password: "abcdefghij1", Confirm: "abcdefghij1"})
	if !errors.Is(err, enroll.ErrOfficerExists) {
		t.Errorf("duplicate: %v", err)
	}
	_, err = s.CreateOfficer(ctx, "lan.nt", enroll.OfficerForm{Username: "hung", FullName: "Lê Hùng", Role: enroll.RoleOfficer, Password: "short1", Confirm: "short1"})
	if fe, ok := enroll.AsFieldError(err); !ok || fe.Code != enroll.CodePasswordShort {
		t.Errorf("weak password: %v", err)
	}
	var params string
	var salt, wrapped []byte
	s.db.QueryRow(`SELECT params, salt, wrapped FROM key_slots WHERE name = 'officer:lan.nt'`).Scan(&params, &salt, &wrapped)
	// The data key sealed to the slot: HPKE's encapsulated ML-KEM-768+X25519 key, the key, the tag.
	if params != "m=8192,t=1,p=1" || len(salt) != 16 || len(wrapped) != 1120+32+16 {
		t.Errorf("key slot: params %q, salt %d bytes, wrapped %d bytes", params, len(salt), len(wrapped))
	}
}

// TestUnchangedImagesAreNotRewritten: a draft saved again with the same pictures leaves their
// sealed rows as they were (a rewrite would seal them under a fresh nonce); a retaken finger
// is the only row that changes.
func TestUnchangedImagesAreNotRewritten(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := completeRecord(t, "Lê Thị Hoa", "001187012345")
	e.SetFinger(enroll.FingerCapture{Position: enroll.LeftIndex, PNG: []byte("left print"), Quality: enroll.FingerScore{Score: 70}})
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	sealed := func() map[string]string {
		rows, err := s.db.Query(`SELECT kind || position, hex(data) FROM images WHERE enrollment_id = ?`, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var k, v string
			rows.Scan(&k, &v)
			out[k] = v
		}
		return out
	}
	before := sealed()
	if len(before) != 3 {
		t.Fatalf("%d image rows, want portrait and two fingers", len(before))
	}
	e.Step = enroll.StepReview
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	for k, v := range sealed() {
		if before[k] != v {
			t.Errorf("%s rewritten by a save that did not change it", k)
		}
	}
	e.SetFinger(enroll.FingerCapture{Position: enroll.LeftIndex, PNG: []byte("left print, retaken"), Quality: enroll.FingerScore{Score: 80}})
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	after := sealed()
	for k, v := range after {
		if changed := before[k] != v; changed != (k == "finger7") {
			t.Errorf("%s changed = %v", k, changed)
		}
	}
	got, err := s.Get(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := got.Finger(enroll.LeftIndex); string(f.PNG) != "left print, retaken" {
		t.Errorf("left index reads back %q", f.PNG)
	}
}

// TestAfterKeyDerivation: the hook runs after every derivation of a password's key, the ones
// that only even out the timing of a refusal included.
func TestAfterKeyDerivation(t *testing.T) {
	ctx := context.Background()
	var n atomic.Int32
	s := openTest(t, WithAfterKeyDerivation(func() { n.Add(1) }))
	afterInit := n.Load()
	if afterInit == 0 {
		t.Error("setting up the first supervisor derived no key, or the hook did not run")
	}
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	if n.Load() != afterInit+1 {
		t.Errorf("a login ran the hook %d times, want 1", n.Load()-afterInit)
	}
	if _, err := s.Authenticate(ctx, "nobody", "matkhau2026"); !errors.Is(err, enroll.ErrBadLogin) {
		t.Fatalf("unknown officer: %v", err)
	}
	if n.Load() != afterInit+2 {
		t.Errorf("a refused unknown officer ran the hook %d times in all, want 2", n.Load()-afterInit)
	}
}
