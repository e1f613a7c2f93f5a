package intake

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/wardpolice/enroll/sync/batch"
	"github.com/wardpolice/enroll/sync/provision"
)

// Config is central's identity, written by Init into its folder (central.json).
type Config struct {
	Name  string   // the central system's name, in its CA's subject
	URL   string   // the address stations reach it at, written into provisioning files
	Hosts []string // names and addresses in the server certificate
}

// Keys is central's key material. It lives as files in central's folder, readable only by
// its user; several central processes share the folder (and the upload folder in it).
type Keys struct {
	CA     *provision.Authority
	Server tls.Certificate
	Batch  hpke.PrivateKey    // batches are encrypted to its public half
	Ack    ed25519.PrivateKey // signs status reports and acknowledgement files
}

// Files in central's folder.
const (
	configFile     = "central.json"
	caCertFile     = "ca.pem"
	caKeyFile      = "ca-key.pem"
	serverCertFile = "server.pem"
	serverKeyFile  = "server-key.pem"
	batchKeyFile   = "batch.key"
	ackKeyFile     = "ack.key"
	// UploadsDir holds tus uploads in progress (tusd's file store and locks).
	UploadsDir = "uploads"
)

// ErrInitialised: Init found a central already set up in the folder.
var ErrInitialised = errors.New("central is already set up in this folder")

// keyFile is the serialised form of a private key that is not PEM.
type keyFile struct {
	KEM     uint16 `json:",omitempty"`
	Private []byte
}

// Init creates central's folder: configuration, CA, server certificate for cfg.Hosts, batch
// encryption key pair (HPKE, ML-KEM-768 + X25519) and acknowledgement signing key.
func Init(dir string, cfg Config, now time.Time) (*Keys, error) {
	if _, err := os.Stat(filepath.Join(dir, configFile)); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrInitialised, dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, UploadsDir), 0o700); err != nil {
		return nil, fmt.Errorf("create central folder: %w", err)
	}
	ca, err := provision.NewAuthority(cfg.Name, now)
	if err != nil {
		return nil, err
	}
	server, err := ca.ServerCertificate(cfg.Hosts, now)
	if err != nil {
		return nil, err
	}
	kem, _, _ := batch.Suite()
	bk, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("create batch key: %w", err)
	}
	bkBytes, err := bk.Bytes()
	if err != nil {
		return nil, fmt.Errorf("create batch key: %w", err)
	}
	_, ackKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("create acknowledgement key: %w", err)
	}
	caKey, err := provision.KeyPEM(ca.Key)
	if err != nil {
		return nil, err
	}
	serverKey, err := provision.KeyPEM(server.Key)
	if err != nil {
		return nil, err
	}
	conf, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	bkFile, _ := json.Marshal(keyFile{KEM: kem.ID(), Private: bkBytes})
	ackFile, _ := json.Marshal(keyFile{Private: ackKey.Seed()})
	// The configuration goes last: its presence says the folder is complete.
	for _, f := range []struct {
		name string
		data []byte
	}{
		{caCertFile, provision.CertificatePEM(ca.Cert)}, {caKeyFile, caKey},
		{serverCertFile, provision.CertificatePEM(server.Cert)}, {serverKeyFile, serverKey},
		{batchKeyFile, bkFile}, {ackKeyFile, ackFile}, {configFile, conf},
	} {
		if err := writeFileSync(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return LoadKeys(dir)
}

// writeFileSync writes a file and syncs it, so a key reported written survives a power cut.
func writeFileSync(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadConfig reads central.json.
func LoadConfig(dir string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(filepath.Join(dir, configFile))
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, fmt.Errorf("no central is set up in %s (run: central init --dir %s)", dir, dir)
	}
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", configFile, err)
	}
	return cfg, nil
}

// LoadKeys reads central's key files.
func LoadKeys(dir string) (*Keys, error) {
	if _, err := LoadConfig(dir); err != nil {
		return nil, err
	}
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("central key %s: %w", name, err)
		}
		return b, nil
	}
	caCert, err := read(caCertFile)
	if err != nil {
		return nil, err
	}
	caKey, err := read(caKeyFile)
	if err != nil {
		return nil, err
	}
	ca, err := provision.LoadAuthority(caCert, caKey)
	if err != nil {
		return nil, err
	}
	server, err := tls.LoadX509KeyPair(filepath.Join(dir, serverCertFile), filepath.Join(dir, serverKeyFile))
	if err != nil {
		return nil, fmt.Errorf("central server certificate: %w", err)
	}
	var bk, ak keyFile
	for _, k := range []struct {
		name string
		into *keyFile
	}{{batchKeyFile, &bk}, {ackKeyFile, &ak}} {
		b, err := read(k.name)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, k.into); err != nil {
			return nil, fmt.Errorf("central key %s: %w", k.name, err)
		}
	}
	kem, err := hpke.NewKEM(bk.KEM)
	if err != nil {
		return nil, fmt.Errorf("central key %s: %w", batchKeyFile, err)
	}
	batchKey, err := kem.NewPrivateKey(bk.Private)
	if err != nil {
		return nil, fmt.Errorf("central key %s: %w", batchKeyFile, err)
	}
	if len(ak.Private) != ed25519.SeedSize {
		return nil, fmt.Errorf("central key %s: %d bytes, want %d", ackKeyFile, len(ak.Private), ed25519.SeedSize)
	}
	return &Keys{CA: ca, Server: server, Batch: batchKey, Ack: ed25519.NewKeyFromSeed(ak.Private)}, nil
}
