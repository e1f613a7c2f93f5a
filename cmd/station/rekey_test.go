package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/store/demo"
)

// TestRekeyKilledAtRandomPointsResumes is issue 16's acceptance check: `station rekey` on a
// database of a few hundred records, killed (SIGKILL) after a random delay at least 20 times,
// always resumes, and ends with every record readable under the new key and none under the
// old. "Under the old key" is checked as someone holding the old key and the file would: the
// old data key is opened from a copy of the supervisor's slot taken before any rotation (the
// slot format and the sealed value format written out here, apart from the station's code),
// and every sealed value in the final file is tried with it.
func TestRekeyKilledAtRandomPointsResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a rotation 20 times: a minute or two")
	}
	tmp := t.TempDir()
	db := filepath.Join(tmp, "station.db")
	var out bytes.Buffer
	if err := run([]string{"demo", "--records", "300", "--seed", "16", "--db", db}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	pw := regexp.MustCompile(`with password (\S+)`).FindStringSubmatch(out.String())
	rk := regexp.MustCompile(`recovery key (\S+)`).FindStringSubmatch(out.String())
	if pw == nil || rk == nil {
		t.Fatalf("demo printed no password or recovery key: %q", out.String())
	}
	password := pw[1]
	before := rawSlot(t, db, "officer:"+demo.Officer)
	oldKey := slotDataKey(t, before, password)
	if n, _ := openableWith(t, db, oldKey); n == 0 {
		t.Fatal("the checker opens nothing with the key before the rotation: it checks nothing")
	}

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 16))
	t.Logf("random delays from seed %d", seed)
	var kills, runs, finished int
	var delays []time.Duration
	began := time.Now()
	for kills < 20 && runs < 80 {
		runs++
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), mainArgsEnv+"=rekey --user "+demo.Officer+" --db "+db)
		cmd.Stdin = strings.NewReader(password + "\n")
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// From the login (argon2id, ~0.5 s) through the batches to the last transaction.
		delay := time.Duration(100+rng.IntN(3400)) * time.Millisecond
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("run %d ended on its own with %v:\n%s", runs, err, log.String())
			}
			finished++
		case <-time.After(delay):
			cmd.Process.Kill()
			<-exited
			kills++
			delays = append(delays, delay)
		}
		// Whatever the kill left, the file is sound.
		checkIntegrity(t, db)
	}
	if kills < 20 {
		t.Fatalf("only %d kills in %d runs", kills, runs)
	}
	// The last run is let finish: it resumes a killed rotation (or makes one more).
	var last bytes.Buffer
	if err := run([]string{"rekey", "--user", demo.Officer, "--db", db}, strings.NewReader(password+"\n"), &last); err != nil {
		t.Fatalf("the final run: %v\n%s", err, last.String())
	}
	t.Logf("%d runs, %d killed (after %v), %d finished on their own; then %q; %s in all",
		runs, kills, delays, finished, strings.TrimSpace(last.String()), time.Since(began).Round(time.Second))

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	gen, _ := st.KeyGeneration(ctx)
	status, err := st.KeyStatus(ctx)
	if err != nil || gen < 2 || len(status) != 1 || status[gen] == 0 {
		t.Fatalf("sealed values by key generation %v (current %d): %v", status, gen, err)
	}
	if p, _ := st.PendingRekey(ctx); p != nil {
		t.Fatalf("a rotation is still pending: %+v", p)
	}
	if _, err := st.Authenticate(ctx, demo.Officer, password); err != nil {
		t.Fatal(err)
	}
	list, err := st.List(ctx, store.Filter{Limit: 1000})
	if err != nil || len(list) != 300 {
		t.Fatalf("list: %d records, %v", len(list), err)
	}
	for _, r := range list {
		e, err := st.Get(ctx, r.ID)
		if err != nil || e.Portrait == nil || len(e.Portrait.JPEG) == 0 || len(e.Fingers) == 0 || len(e.Fingers[0].PNG) == 0 {
			t.Fatalf("record %s after the rotation: %v", r.ID, err)
		}
		if hits, err := st.ByPersonalID(ctx, e.Citizen.PersonalID); err != nil || len(hits) == 0 {
			t.Fatalf("record %s not found by its ID number under the new index key: %v", r.ID, err)
		}
	}
	st.Close()

	// Nothing opens under the old key; everything under the new one.
	if n, total := openableWith(t, db, oldKey); n != 0 {
		t.Errorf("%d of %d sealed values still open under the key from before the rotation", n, total)
	}
	after := rawSlot(t, db, "officer:"+demo.Officer)
	newKey := slotDataKey(t, after, password)
	if n, total := openableWith(t, db, newKey); n != total || total < 300*3 {
		t.Errorf("%d of %d sealed values open under the new key", n, total)
	}

	// The old slot put back (the officer kept a copy) opens nothing either: the login is
	// refused by name.
	copyDB := filepath.Join(tmp, "copy.db")
	copyFile(t, db, copyDB)
	raw, err := sql.Open("sqlite3", copyDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE key_slots SET salt = ?, params = ?, public = ?, secret = ?, wrapped = ?, generation = ?
		WHERE name = ?`, before.salt, before.params, before.public, before.secret, before.wrapped, before.gen, before.name); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	st, err = store.Open(ctx, copyDB)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Authenticate(ctx, demo.Officer, password)
	if !errors.Is(err, enroll.ErrOfficerTampered) || !strings.Contains(err.Error(), "officer "+demo.Officer+": ") {
		t.Errorf("login with the slot from before the rotation: %v", err)
	}
	st.Close()

	// The recovery key printed at set-up still opens the data.
	st, err = store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Recover(ctx, rk[1], demo.Officer, "sau-xoay-khoa-1", "sau-xoay-khoa-1"); err != nil {
		t.Fatalf("recovery key after %d rotations: %v", gen-1, err)
	}
	if _, err := st.Get(ctx, list[0].ID); err != nil {
		t.Errorf("read after recovery: %v", err)
	}
}

// TestRekeyCommand: a rotation by an officer who is no supervisor is refused, --status needs
// no login and counts what each generation seals.
func TestRekeyCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	var out bytes.Buffer
	if err := run([]string{"demo", "--records", "3", "--seed", "5", "--db", db}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	pw := regexp.MustCompile(`with password (\S+)`).FindStringSubmatch(out.String())
	out.Reset()
	if err := run([]string{"rekey", "--status", "--db", db}, strings.NewReader(""), &out); err != nil ||
		!strings.Contains(out.String(), "data key generation 1\n") || !strings.Contains(out.String(), "sealed under generation 1: ") {
		t.Fatalf("status: %v %q", err, out.String())
	}
	out.Reset()
	if err := run([]string{"rekey", "--db", db}, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "--user") {
		t.Errorf("without --user: %v", err)
	}
	if err := run([]string{"rekey", "--user", demo.Officer, "--db", db}, strings.NewReader("wrong-password-1\n"), &out); !errors.Is(err, enroll.ErrBadLogin) {
		t.Errorf("wrong password: %v", err)
	}
	out.Reset()
	if err := run([]string{"rekey", "--user", demo.Officer, "--db", db}, strings.NewReader(pw[1]+"\n"), &out); err != nil ||
		!strings.Contains(out.String(), "data key rotated: 3 records re-sealed under key generation 2") {
		t.Fatalf("rekey: %v %q", err, out.String())
	}
	out.Reset()
	run([]string{"rekey", "--status", "--db", db}, strings.NewReader(""), &out)
	if strings.Contains(out.String(), "generation 1:") || !strings.Contains(out.String(), "data key generation 2\n") {
		t.Errorf("status after: %q", out.String())
	}
	out.Reset()
	run([]string{"audit", "verify", "--db", db}, strings.NewReader(""), &out)
	if !strings.Contains(out.String(), "intact") {
		t.Errorf("audit after a rotation: %q", out.String())
	}
}

func checkIntegrity(t *testing.T, db string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var res string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity check after a kill: %q %v", res, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(from + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(to + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		dst.Close()
	}
}

type slotCopy struct {
	name, params                  string
	salt, public, secret, wrapped []byte
	gen                           uint32
}

func rawSlot(t *testing.T, db, name string) slotCopy {
	t.Helper()
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	s := slotCopy{name: name}
	if err := raw.QueryRow(`SELECT salt, params, public, secret, wrapped, generation FROM key_slots WHERE name = ?`, name).
		Scan(&s.salt, &s.params, &s.public, &s.secret, &s.wrapped, &s.gen); err != nil {
		t.Fatal(err)
	}
	return s
}

// slotDataKey opens an officer's slot as the formats say: argon2id of the password opens the
// private key seed (AES-256-GCM), which opens the data key sealed to the slot (HPKE,
// ML-KEM-768+X25519). It returns the sealing key derived from the data key, with the
// generation it belongs to.
func slotDataKey(t *testing.T, s slotCopy, password string) sealingKey {
	t.Helper()
	var m, tm uint32
	var p uint8
	if _, err := fmt.Sscanf(s.params, "m=%d,t=%d,p=%d", &m, &tm, &p); err != nil {
		t.Fatal(err)
	}
	kek := argon2.IDKey([]byte(password), s.salt, tm, m, p, 32)
	seed, err := gcmOpen(kek, s.secret[:12], s.secret[12:], []byte("enroll/v1 slot\x00"+s.name))
	if err != nil {
		t.Fatalf("slot %s: %v", s.name, err)
	}
	priv, err := hpke.MLKEM768X25519().NewPrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	dk, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.AES256GCM(), fmt.Appendf(nil, "enroll/v2 slot\x00%s\x00%d", s.name, s.gen), s.wrapped)
	if err != nil {
		t.Fatalf("slot %s: data key: %v", s.name, err)
	}
	seal, err := hkdf.Key(sha256.New, dk, nil, "enroll/v1 seal", 32)
	if err != nil {
		t.Fatal(err)
	}
	return sealingKey{key: seal, gen: s.gen}
}

type sealingKey struct {
	key []byte
	gen uint32
}

func gcmOpen(key, nonce, ct, ad []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return aead.Open(nil, nonce, ct, ad)
}

// openableWith counts the records' sealed values (summaries, documents, images) that open
// with key, whatever generation their header claims, and all of them.
func openableWith(t *testing.T, db string, key sealingKey) (n, total int) {
	t.Helper()
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT id, 'summary', summary FROM enrollments WHERE summary IS NOT NULL
		UNION ALL SELECT enrollment_id, 'document', data FROM documents
		UNION ALL SELECT enrollment_id, 'image:' || kind || ':' || position, data FROM images`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		total++
		var id, field string
		var sealed []byte
		if err := rows.Scan(&id, &field, &sealed); err != nil {
			t.Fatal(err)
		}
		ad := []byte("enroll/v1\x00" + id + "\x00" + field)
		body := 1
		if sealed[0] == 2 {
			body = 5
			ad = append(append([]byte(nil), sealed[:5]...), ad...)
		}
		// Try the key whatever the header says: the header is no protection.
		if _, err := gcmOpen(key.key, sealed[body:body+12], sealed[body+12:], ad); err == nil {
			n++
			continue
		}
		// And as if the header named the key's own generation.
		forged := append(binary.BigEndian.AppendUint32([]byte{2}, key.gen), []byte("enroll/v1\x00"+id+"\x00"+field)...)
		if _, err := gcmOpen(key.key, sealed[body:body+12], sealed[body+12:], forged); err == nil {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n, total
}
