// Package courier is the station's side of sync: it packs complete records into signed,
// encrypted batches in the outbox, uploads them to central (resumably), asks central for its
// verdicts and applies them, and writes batches to removable media and reads central's
// acknowledgement files back. Building a batch needs an officer's login (records are sealed
// under the officers' data key); everything else runs whether or not anyone is logged in.
package courier

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/sync/batch"
	"github.com/wardpolice/enroll/sync/provision"
)

// Store is what the courier needs of the station database.
type Store interface {
	Provisioning(ctx context.Context) (*store.Provisioning, error)
	VerifiedProvisioning(ctx context.Context) (*store.Provisioning, error)
	SigningKey(ctx context.Context) (ed25519.PrivateKey, error)
	Unlocked() bool
	Unbatched(ctx context.Context, limit int) ([]string, error)
	Get(ctx context.Context, id string) (*enroll.Enrollment, error)
	NextBatchSeq(ctx context.Context) (int64, error)
	AddBatch(ctx context.Context, actor string, b enroll.Batch, records []store.Sent) error
	Batches(ctx context.Context, states ...enroll.BatchState) ([]enroll.Batch, error)
	BatchFiles(ctx context.Context) (map[string]bool, error)
	SetUploadProgress(ctx context.Context, id, url string, sent int64) error
	BatchUploaded(ctx context.Context, actor, id string) error
	BatchRefused(ctx context.Context, actor, id, reason string) error
	BatchExported(ctx context.Context, actor, id, dir string) error
	AwaitingVerdict(ctx context.Context) ([]string, error)
	ApplyVerdicts(ctx context.Context, actor string, verdicts []enroll.Verdict) (store.Applied, error)
	QueueAck(ctx context.Context, source string, data []byte, verdicts int) error
	QueuedAcks(ctx context.Context) ([]store.QueuedAck, error)
	DropQueuedAck(ctx context.Context, seq int64) error
	// AuditHead is the station's last authenticated audit entry, which every batch carries so
	// that central can tell when the station's history went backwards.
	AuditHead(ctx context.Context) (store.AuditHead, error)
	// SyncLock makes the caller the only one syncing with the station database, across
	// processes, waiting up to wait (then enroll.ErrSyncRunning).
	SyncLock(ctx context.Context, wait time.Duration) (release func(), err error)
	Provisioner
}

// MaxRecords is how many records one batch carries at most: a batch is re-sent whole only
// when refused, and 500 typical records (about 66 MB) upload in minutes on a poor line. Their
// bytes are bounded too (batch.RecordsBudget): records too large to fit go in the next batch.
const MaxRecords = 500

// System is the audit trail's name for what the courier does on its own.
const System = "system"

// DefaultLockWait is how long a pass (or a build, an export, an acknowledgement import) waits
// for another one on the same station database to finish before it says that another sync is
// running: a pass with nothing to upload ends within it, one uploading a batch may take
// minutes, which nobody should wait for in front of a terminal.
const DefaultLockWait = 10 * time.Second

// Courier moves records between the station and central.
type Courier struct {
	Store  Store
	Outbox string // folder of built batch files, beside the database
	Now    func() time.Time
	// Dial adjusts the HTTP client (tests cut connections with it); nil for the default.
	Transport func(*http.Transport) http.RoundTripper
	// Idle is how long a connection may carry nothing before it is given up (DefaultIdle
	// when 0).
	Idle time.Duration
	// LockWait is how long a pass waits for another on the same database (DefaultLockWait
	// when 0).
	LockWait time.Duration

	// wake asks Run for a pass now.
	wake chan struct{}

	mu      sync.Mutex
	state   enroll.SyncState
	officer string // logged in, for the audit trail of what Run does; "" for System
}

// New makes a courier for a station database whose outbox is dir.
func New(s Store, outbox string) *Courier {
	return &Courier{Store: s, Outbox: outbox, Now: time.Now, wake: make(chan struct{}, 1)}
}

// State returns a copy of the courier's state.
func (c *Courier) State() enroll.SyncState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Trigger asks Run for a pass now (a record was saved, an officer logged in or asked).
func (c *Courier) Trigger() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// SetOfficer names who is logged in ("" when nobody is): Run's passes are audited in their name.
func (c *Courier) SetOfficer(username string) {
	c.mu.Lock()
	c.officer = username
	c.mu.Unlock()
}

func (c *Courier) actor() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.officer == "" {
		return System
	}
	return c.officer
}

// Bound says which central the station is provisioned for.
func (c *Courier) Bound(ctx context.Context) (enroll.Binding, error) {
	p, err := c.Store.Provisioning(ctx)
	if err != nil {
		return enroll.Binding{}, err
	}
	f, err := provision.Parse(p.File)
	if err != nil {
		return enroll.Binding{}, err
	}
	return enroll.Binding{Station: f.Station, Central: f.Central, At: p.At, By: p.By}, nil
}

// ProvisionFile binds the station to the central that wrote data (see Provision).
func (c *Courier) ProvisionFile(ctx context.Context, actor string, data []byte) (enroll.Binding, error) {
	if _, err := Provision(ctx, c.Store, actor, data); err != nil {
		return enroll.Binding{}, err
	}
	c.Trigger()
	return c.Bound(ctx)
}

func (c *Courier) update(fn func(*enroll.SyncState)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(&c.state)
}

// Report is what one pass did.
type Report struct {
	Built    int // batches built
	Packed   int // records packed into them
	Uploaded int // batches central now holds
	Refused  int // batches central refused
	Pending  int // batches left to upload
	Applied  store.Applied
	// Queued counts central's verdicts that arrived while nobody was logged in: they change
	// records, which needs a login, so they are applied at the next one.
	Queued    int
	Refusals  []string // central's reasons for refused batches
	BytesSent int64

	// whole lists the batches whose upload central already held whole when this pass came to
	// send it: whether central stored them, only its status answer can tell.
	whole []enroll.Batch
}

// lock takes the station database's sync lock (Store.SyncLock) for one pass or one command.
func (c *Courier) lock(ctx context.Context) (func(), error) {
	return c.Store.SyncLock(ctx, cmp.Or(c.LockWait, DefaultLockWait))
}

// Tidy removes outbox files a crash left behind: a batch written but never recorded, a file
// half written, or the file of a batch settled (uploaded or refused) just before the crash.
// It takes the sync lock: a batch another pass has just written is not recorded yet either.
func (c *Courier) Tidy(ctx context.Context) error {
	release, err := c.lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	return c.tidy(ctx)
}

func (c *Courier) tidy(ctx context.Context) error {
	known, err := c.Store.BatchFiles(ctx)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(c.Outbox)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join(c.Outbox, e.Name())
		if !known[p] && (strings.HasSuffix(e.Name(), ".batch") || strings.HasSuffix(e.Name(), ".tmp")) {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("outbox: %w", err)
			}
		}
	}
	return nil
}

// Build packs every complete record into batches of at most MaxRecords. It needs a login;
// actor is the officer whose session it runs in (or System). It takes the sync lock: two
// builds at once would number their batches alike and pack the same records.
func (c *Courier) Build(ctx context.Context, actor string) (built, packed int, err error) {
	release, err := c.lock(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer release()
	return c.build(ctx, actor)
}

func (c *Courier) build(ctx context.Context, actor string) (built, packed int, err error) {
	if !c.Store.Unlocked() {
		return 0, 0, enroll.ErrStationLocked
	}
	// Batches are encrypted to the central a supervisor provisioned, not to whatever the
	// file says now.
	p, err := c.Store.VerifiedProvisioning(ctx)
	if err != nil {
		return 0, 0, err
	}
	file, err := provision.Parse(p.File)
	if err != nil {
		return 0, 0, err
	}
	to, err := file.BatchPublicKey()
	if err != nil {
		return 0, 0, err
	}
	key, err := c.Store.SigningKey(ctx)
	if err != nil {
		return 0, 0, err
	}
	if err := os.MkdirAll(c.Outbox, 0o700); err != nil {
		return 0, 0, fmt.Errorf("outbox: %w", err)
	}
	for {
		ids, err := c.Store.Unbatched(ctx, MaxRecords)
		if err != nil {
			return built, packed, fmt.Errorf("records to batch: %w", err)
		}
		if len(ids) == 0 {
			return built, packed, nil
		}
		n, err := c.buildOne(ctx, actor, p, to, key, ids)
		if err != nil {
			return built, packed, err
		}
		built++
		packed += n
	}
}

func (c *Courier) buildOne(ctx context.Context, actor string, p *store.Provisioning, to hpke.PublicKey,
	key ed25519.PrivateKey, ids []string) (int, error) {
	seq, err := c.Store.NextBatchSeq(ctx)
	if err != nil {
		return 0, err
	}
	h := batch.Header{ID: uuid.NewString(), Station: p.Station, Seq: seq, Created: c.Now().UTC(),
		SigningKey: p.SigningPublic, Endorsement: p.Endorsement}
	final := filepath.Join(c.Outbox, fmt.Sprintf("%s-%06d-%s.batch", p.Station, seq, h.ID))
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	defer os.Remove(tmp)
	sent, size, err := c.write(ctx, f, h, to, key, ids)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("build batch %d: %w", seq, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return 0, fmt.Errorf("build batch %d: %w", seq, err)
	}
	syncDir(c.Outbox)
	b := enroll.Batch{ID: h.ID, Seq: seq, CreatedAt: h.Created, Size: size, File: final}
	if err := c.Store.AddBatch(ctx, actor, b, sent); err != nil {
		os.Remove(final)
		return 0, err
	}
	return len(sent), nil
}

// write streams the records into f. The record is read whole (images included) one at a time.
func (c *Courier) write(ctx context.Context, f io.Writer, h batch.Header, to hpke.PublicKey,
	key ed25519.PrivateKey, ids []string) ([]store.Sent, int64, error) {
	w, err := batch.NewWriter(f, h, to, key)
	if err != nil {
		return nil, 0, err
	}
	for _, id := range ids {
		e, err := c.Store.Get(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		if err := w.Add(e); errors.Is(err, batch.ErrFull) {
			break
		} else if err != nil {
			return nil, 0, fmt.Errorf("record %s: %w", id, err)
		}
	}
	head, err := c.Store.AuditHead(ctx)
	if err != nil {
		return nil, 0, err
	}
	if head.Seq > 0 {
		if err := w.SetAudit(batch.AuditHead{Seq: head.Seq, MAC: hex.EncodeToString(head.MAC)}); err != nil {
			return nil, 0, err
		}
	}
	m, err := w.Close()
	if err != nil {
		return nil, 0, err
	}
	sent := make([]store.Sent, len(m.Records))
	for i, r := range m.Records {
		sent[i] = store.Sent{ID: r.ID, Revision: r.SHA256}
	}
	return sent, w.Written(), nil
}

// syncDir makes a rename durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Provisioner is the part of the store that binds the station to a central.
type Provisioner interface {
	Provision(ctx context.Context, actor string, p store.Provisioning, signingKey ed25519.PrivateKey) error
}

// Provision binds the station to the central that wrote the provisioning file: it checks the
// file, creates the station's batch-signing key, has the file's one-time endorsement key vouch
// for it, and stores the file without that key and the signing key sealed. actor must be a
// supervisor. A copy of the database then holds nothing that can sign or vouch for a batch.
func Provision(ctx context.Context, s Provisioner, actor string, data []byte) (*provision.File, error) {
	f, err := provision.Parse(data)
	if err != nil {
		return nil, err
	}
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("create signing key: %w", err)
	}
	ek, cert, err := f.Endorser()
	if err != nil {
		return nil, err
	}
	endorsement, err := provision.Endorse(cert, ek, f.Station, pub)
	if err != nil {
		return nil, err
	}
	stored, err := f.Stored()
	if err != nil {
		return nil, err
	}
	err = s.Provision(ctx, actor, store.Provisioning{Station: f.Station, File: stored, SigningPublic: pub, Endorsement: endorsement}, key)
	if err != nil {
		return nil, err
	}
	return f, nil
}
