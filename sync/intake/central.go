package intake

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/provision"
	"github.com/wardpolice/enroll/sync/register"
)

// Central is an open central system: its folder's keys and its database.
type Central struct {
	Dir  string
	cfg  Config
	keys *Keys
	db   *db
	now  func() time.Time
	log  *slog.Logger // what central did, for its operator; silent outside Serve
	// storeFault, when set, fails the storing of a batch as a full disk would (WithStoreFault).
	storeFault func(station, batch string) error
}

// DefaultDB is the SQLite file in central's folder used when no --db is given.
func DefaultDB(dir string) string { return filepath.Join(dir, "central.db") }

// Option adjusts how central is opened.
type Option func(*Central)

// WithClock replaces the wall clock (tests; the demo).
func WithClock(now func() time.Time) Option { return func(c *Central) { c.now = now } }

// WithStoreFault has fail(station, batch) called as central stores each batch, inside the
// transaction that stores it: an error rolls the batch back as a full disk or a failing
// database would, for fault-injection tests (a real full disk is a tmpfs and root away).
func WithStoreFault(fail func(station, batch string) error) Option {
	return func(c *Central) { c.storeFault = fail }
}

// Open opens central's folder and database (dsn: a postgres:// URL or a SQLite path; empty for
// the folder's own SQLite file).
func Open(ctx context.Context, dir, dsn string, opts ...Option) (*Central, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	keys, err := LoadKeys(dir)
	if err != nil {
		return nil, err
	}
	if dsn == "" {
		dsn = DefaultDB(dir)
	}
	d, err := openDB(ctx, dsn)
	if err != nil {
		return nil, err
	}
	c := &Central{Dir: dir, cfg: cfg, keys: keys, db: d, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Close closes the database.
func (c *Central) Close() error { return c.db.Close() }

// Config is central's identity.
func (c *Central) Config() Config { return c.cfg }

// Station is a station central knows.
type Station struct {
	Code      string
	Name      string
	Active    bool
	AddedAt   time.Time
	RemovedAt time.Time
	LastSeen  time.Time
}

// ErrUnknownStation: no station with that code was ever added.
var ErrUnknownStation = errors.New("no such station")

// AddStation registers a station (or re-issues the certificate of one, which stops trusting
// the old one and drops the uploads it had not finished) and returns its provisioning file.
func (c *Central) AddStation(ctx context.Context, code, name string, reissue bool) ([]byte, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if err := enroll.CheckStationCode(code); err != nil {
		return nil, err
	}
	name = enroll.NormalizeText(name)
	if name == "" {
		return nil, errors.New("a station needs a name (--name): the office it serves")
	}
	var exists int
	if err := c.db.queryRow(ctx, `SELECT count(*) FROM stations WHERE code = ?`, code).Scan(&exists); err != nil {
		return nil, fmt.Errorf("add station %s: %w", code, err)
	}
	if exists > 0 && !reissue {
		return nil, fmt.Errorf("station %s is already registered; --reissue gives it a new certificate and provisioning file", code)
	}
	now := c.now()
	issued, err := c.keys.CA.StationCertificate(code, now)
	if err != nil {
		return nil, err
	}
	keyPEM, err := provision.KeyPEM(issued.Key)
	if err != nil {
		return nil, err
	}
	endorser, err := c.keys.CA.EndorsementCertificate(code, now)
	if err != nil {
		return nil, err
	}
	endorseKey, err := provision.KeyPEM(endorser.Key)
	if err != nil {
		return nil, err
	}
	pub := c.keys.Batch.PublicKey().Bytes()
	f := provision.File{Format: provision.Format, Station: code, Name: name, Central: c.cfg.URL,
		CA: string(provision.CertificatePEM(c.keys.CA.Cert)), BatchKEM: c.keys.Batch.KEM().ID(), BatchKey: pub,
		AckKey: c.keys.Ack.Public().(ed25519.PublicKey), Certificate: string(provision.CertificatePEM(issued.Cert)),
		Key: string(keyPEM), EndorseCertificate: string(provision.CertificatePEM(endorser.Cert)), EndorseKey: string(endorseKey),
		Issued: now.UTC()}
	data, err := f.Marshal()
	if err != nil {
		return nil, err
	}
	fp, efp := provision.Fingerprint(issued.Cert), provision.Fingerprint(endorser.Cert)
	if exists > 0 {
		// A new endorsement certificate vouches for a new signing key: the old pin goes.
		_, err = c.db.exec(ctx, `UPDATE stations SET name = ?, cert_sha256 = ?, endorse_sha256 = ?, active = 1, removed_at = NULL,
			signing_key = NULL WHERE code = ?`, name, fp, efp, code)
	} else {
		_, err = c.db.exec(ctx, `INSERT INTO stations (code, name, cert_sha256, endorse_sha256, active, added_at) VALUES (?, ?, ?, ?, 1, ?)`,
			code, name, fp, efp, now.UnixMilli())
	}
	if err != nil {
		return nil, fmt.Errorf("add station %s: %w", code, err)
	}
	if exists > 0 {
		c.dropStationUploads(ctx, code)
	}
	return data, nil
}

// RemoveStation stops trusting a station: its connections and its batches are refused from
// now on, and the uploads it had not finished go. What it sent before stays.
func (c *Central) RemoveStation(ctx context.Context, code string) error {
	res, err := c.db.exec(ctx, `UPDATE stations SET active = 0, removed_at = ? WHERE code = ? AND active = 1`, c.now().UnixMilli(), code)
	if err != nil {
		return fmt.Errorf("remove station %s: %w", code, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove station %s: %w (or already removed)", code, ErrUnknownStation)
	}
	c.dropStationUploads(ctx, code)
	return nil
}

// Stations lists every station.
func (c *Central) Stations(ctx context.Context) ([]Station, error) {
	rows, err := c.db.query(ctx, `SELECT code, name, active, added_at, removed_at, last_seen FROM stations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list stations: %w", err)
	}
	defer rows.Close()
	var out []Station
	for rows.Next() {
		var s Station
		var active int
		var added int64
		var removed, seen sql.NullInt64
		if err := rows.Scan(&s.Code, &s.Name, &active, &added, &removed, &seen); err != nil {
			return nil, err
		}
		s.Active, s.AddedAt = active == 1, time.UnixMilli(added)
		if removed.Valid {
			s.RemovedAt = time.UnixMilli(removed.Int64)
		}
		if seen.Valid {
			s.LastSeen = time.UnixMilli(seen.Int64)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// trust checks that cert is the TLS certificate central last issued to an active station and
// returns the station's code.
func (c *Central) trust(ctx context.Context, cert *x509.Certificate) (string, error) {
	return c.trustAs(ctx, cert, "cert_sha256")
}

// trustEndorser is trust for the certificate that endorses a batch's signing key.
func (c *Central) trustEndorser(ctx context.Context, cert *x509.Certificate) (string, error) {
	return c.trustAs(ctx, cert, "endorse_sha256")
}

func (c *Central) trustAs(ctx context.Context, cert *x509.Certificate, column string) (string, error) {
	code := cert.Subject.CommonName
	var fp string
	var active int
	var removed sql.NullInt64
	err := c.db.queryRow(ctx, `SELECT `+column+`, active, removed_at FROM stations WHERE code = ?`, code).Scan(&fp, &active, &removed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", refuseStation("station %s is unknown to this central", code)
	}
	if err != nil {
		// Central's own trouble (its database does not answer): it says nothing about the
		// station, which must not be told to be provisioned again for it.
		return "", fmt.Errorf("look up station %s: %w", code, err)
	}
	if active != 1 {
		return "", refuseStation("station %s was removed on %s", code, time.UnixMilli(removed.Int64).UTC().Format(time.DateOnly))
	}
	if fp != provision.Fingerprint(cert) {
		return "", refuseStation("station %s presented a certificate central no longer trusts (it was re-issued)", code)
	}
	return code, nil
}

// ErrStationRefused marks central's definite refusal of a station's certificate: the station
// is unknown to it, was removed, or was issued another certificate since. Only such a refusal
// ends a station's TLS handshake or refuses its batch; any other error from trust is central's
// own trouble, for which the station is asked to come back later.
var ErrStationRefused = errors.New("central does not trust this station")

// stationRefusal is a definite refusal, in words that name the station and why.
type stationRefusal struct{ msg string }

func (e *stationRefusal) Error() string        { return e.msg }
func (e *stationRefusal) Is(target error) bool { return target == ErrStationRefused }

func refuseStation(format string, args ...any) error {
	return &stationRefusal{fmt.Sprintf(format, args...)}
}

// RegisterLoaded is what a register file added: citizens, and reference prints among them.
type RegisterLoaded struct {
	Citizens, Prints int
}

// LoadRegister adds (or updates) the citizen register from a CSV file. A citizen's reference
// prints in the file replace those central held for them; a line without prints leaves the
// ones held as they are (an identity-only update).
func (c *Central) LoadRegister(ctx context.Context, r io.Reader) (RegisterLoaded, error) {
	var n RegisterLoaded
	err := c.db.inTx(ctx, func(t tx) error {
		n = RegisterLoaded{}
		return register.Read(r, func(e register.Entry) error {
			if _, err := t.exec(ctx, `INSERT INTO register (personal_id, full_name, date_of_birth, gender) VALUES (?, ?, ?, ?)
				ON CONFLICT (personal_id) DO UPDATE SET full_name = excluded.full_name,
					date_of_birth = excluded.date_of_birth, gender = excluded.gender`,
				string(e.PersonalID), e.FullName, e.DateOfBirth.ISO(), e.Gender.CardWord()); err != nil {
				return err
			}
			n.Citizens++
			if e.Prints == nil {
				return nil
			}
			if _, err := t.exec(ctx, `DELETE FROM register_prints WHERE personal_id = ?`, string(e.PersonalID)); err != nil {
				return err
			}
			for i, v := range e.Prints.Views {
				tmpl, err := e.Prints.Template(i)
				if err != nil {
					return fmt.Errorf("register: %s: %w", e.PersonalID, err)
				}
				b, err := tmpl.MarshalBinary()
				if err != nil {
					return fmt.Errorf("register: %s: %w", e.PersonalID, err)
				}
				if _, err := t.exec(ctx, `INSERT INTO register_prints (personal_id, position, template) VALUES (?, ?, ?)`,
					string(e.PersonalID), int(v.Position), b); err != nil {
					return err
				}
				n.Prints++
			}
			return nil
		})
	})
	if err != nil {
		return RegisterLoaded{}, err // register.Read names the file's line and field
	}
	return n, nil
}

// lookup finds a citizen in the register.
func (c *Central) lookup(ctx context.Context, id enroll.PersonalID) (enroll.RegisterEntry, bool, error) {
	var name, dob, gender string
	err := c.db.queryRow(ctx, `SELECT full_name, date_of_birth, gender FROM register WHERE personal_id = ?`, string(id)).Scan(&name, &dob, &gender)
	if errors.Is(err, sql.ErrNoRows) {
		return enroll.RegisterEntry{}, false, nil
	}
	if err != nil {
		return enroll.RegisterEntry{}, false, fmt.Errorf("register: %w", err)
	}
	// These errors reach central's log beside the record's id: they name neither the
	// citizen's ID number nor the value found.
	e := enroll.RegisterEntry{PersonalID: id, FullName: name}
	if e.DateOfBirth, err = enroll.ParseDate(enroll.FieldDateOfBirth, dob); err != nil {
		return e, false, errors.New("the register's entry for the record's citizen holds a date of birth that is not a date")
	}
	if e.Gender, err = enroll.ParseGender(gender); err != nil {
		return e, false, errors.New("the register's entry for the record's citizen holds a gender that is not one")
	}
	return e, true, nil
}

// Verdicts reports central's status of a station's records among ids (unknown ids are left
// out: central never received them).
func (c *Central) Verdicts(ctx context.Context, station string, ids []string) ([]enroll.Verdict, error) {
	var out []enroll.Verdict
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := []any{station}
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := c.db.query(ctx, `SELECT id, revision, status, reason FROM records WHERE station = ? AND id IN (?`+
			strings.Repeat(", ?", len(part)-1)+`) ORDER BY id`, args...)
		if err != nil {
			return nil, fmt.Errorf("verdicts for %s: %w", station, err)
		}
		for rows.Next() {
			var v enroll.Verdict
			var status, reason string
			if err := rows.Scan(&v.ID, &v.Revision, &status, &reason); err != nil {
				rows.Close()
				return nil, err
			}
			v.Status = enroll.Status(status)
			if reason != "" {
				if err := json.Unmarshal([]byte(reason), &v.Reason); err != nil {
					rows.Close()
					return nil, fmt.Errorf("record %s: reason: %w", v.ID, err)
				}
			}
			out = append(out, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BatchOutcomes reports what became of a station's batches among ids: stored, or refused
// (with the reason from the intake log). Batches central never saw are left out.
func (c *Central) BatchOutcomes(ctx context.Context, station string, ids []string) ([]ack.BatchOutcome, error) {
	var out []ack.BatchOutcome
	for _, id := range ids {
		var n int
		if err := c.db.queryRow(ctx, `SELECT count(*) FROM batches WHERE id = ? AND station = ?`, id, station).Scan(&n); err != nil {
			return nil, fmt.Errorf("batch %s: %w", id, err)
		}
		if n > 0 {
			out = append(out, ack.BatchOutcome{ID: id, Outcome: ack.BatchReceived})
			continue
		}
		var reason string
		err := c.db.queryRow(ctx, `SELECT reason FROM intake_log WHERE batch_id = ? AND station = ? AND outcome = ?
			ORDER BY at DESC LIMIT 1`, id, station, ack.BatchRefused).Scan(&reason)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("batch %s: %w", id, err)
		}
		out = append(out, ack.BatchOutcome{ID: id, Outcome: ack.BatchRefused, Reason: reason})
	}
	return out, nil
}

// Ack signs an acknowledgement for a station.
func (c *Central) Ack(station string, batches []ack.BatchOutcome, verdicts []enroll.Verdict) ([]byte, error) {
	return ack.Sign(ack.Ack{Station: station, Issued: c.now().UTC(), Batches: batches, Verdicts: verdicts}, c.keys.Ack)
}

// Counts is central's records by status, and its batches.
type Counts struct {
	Stations int
	Batches  int
	Refused  int // batches refused (intake log)
	Records  map[enroll.Status]int
	Reasons  map[string]int // rejected records by reason code
	// ByFinger splits the reasons that name a finger by that finger (key: code and finger).
	ByFinger map[enroll.Reason]int
	Review   int // received records waiting for an examiner
}

// Count gathers Counts.
func (c *Central) Count(ctx context.Context) (Counts, error) {
	n := Counts{Records: map[enroll.Status]int{}, Reasons: map[string]int{}, ByFinger: map[enroll.Reason]int{}}
	for _, q := range []struct {
		sql  string
		into *int
	}{
		{`SELECT count(*) FROM stations WHERE active = 1`, &n.Stations},
		{`SELECT count(*) FROM batches`, &n.Batches},
		{`SELECT count(*) FROM reviews v JOIN records r ON r.station = v.station AND r.id = v.record_id
			AND r.revision = v.revision WHERE v.decided_at IS NULL AND r.status = 'received'`, &n.Review},
		{`SELECT count(*) FROM (SELECT DISTINCT station, batch_id FROM intake_log l WHERE outcome = 'refused'
			AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = l.batch_id AND b.station = l.station)) r`, &n.Refused},
	} {
		if err := c.db.queryRow(ctx, q.sql).Scan(q.into); err != nil {
			return n, fmt.Errorf("count: %w", err)
		}
	}
	rows, err := c.db.query(ctx, `SELECT status, reason, count(*) FROM records GROUP BY status, reason`)
	if err != nil {
		return n, fmt.Errorf("count records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status, reason string
		var k int
		if err := rows.Scan(&status, &reason, &k); err != nil {
			return n, err
		}
		n.Records[enroll.Status(status)] += k
		if reason != "" {
			var r enroll.Reason
			if json.Unmarshal([]byte(reason), &r) == nil {
				n.Reasons[r.Code] += k
				if r.Finger.Valid() {
					n.ByFinger[enroll.Reason{Code: r.Code, Finger: r.Finger}] += k
				}
			}
		}
	}
	return n, rows.Err()
}

// BatchVerdicts reports the verdicts on the records that came in the given batches.
func (c *Central) BatchVerdicts(ctx context.Context, station string, batches []string) ([]enroll.Verdict, error) {
	var ids []string
	for _, b := range batches {
		rows, err := c.db.query(ctx, `SELECT id FROM records WHERE station = ? AND batch_id = ?`, station, b)
		if err != nil {
			return nil, fmt.Errorf("records of batch %s: %w", b, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return c.Verdicts(ctx, station, ids)
}
