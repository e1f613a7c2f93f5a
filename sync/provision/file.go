package provision

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/wardpolice/enroll"
)

// Format is the provisioning file's version.
const Format = 1

// maxFileSize bounds what Parse reads: a real file is about 4 KB.
const maxFileSize = 256 << 10

// File is what central hands a station: who it is, where central is, whom to trust, what to
// encrypt batches to, whose signature acknowledgements carry, the station's client certificate
// and key, and a one-time endorsement certificate and key. It holds private keys: it travels on
// removable media to the one station it names and is deleted once that station is provisioned.
// The station keeps it without the endorsement key (Stored).
type File struct {
	Format  int
	Station string // station code, the client certificate's common name
	Name    string // the station's office, as central registered it
	Central string // https://host:port
	CA      string // PEM: central's certificate authority
	// BatchKEM and BatchKey are central's HPKE public key (RFC 9180 KEM id and serialised key)
	// that batches are encrypted to.
	BatchKEM uint16
	BatchKey []byte
	// AckKey is central's Ed25519 key that signs status reports and acknowledgement files.
	AckKey      []byte
	Certificate string // PEM: the station's client certificate
	Key         string // PEM: its private key
	// EndorseCertificate and EndorseKey vouch for the batch-signing key the station creates when
	// provisioned; the key is used once and never stored.
	EndorseCertificate string
	EndorseKey         string `json:",omitempty"`
	Issued             time.Time
}

// Stored is the file as a station keeps it: without the endorsement key, which has done its
// one job.
func (f *File) Stored() ([]byte, error) {
	c := *f
	c.EndorseKey = ""
	return c.Marshal()
}

// Marshal writes the file.
func (f *File) Marshal() ([]byte, error) {
	return json.MarshalIndent(f, "", "  ")
}

// Parse reads and checks a provisioning file: every part must be present and consistent (the
// certificate chains to the CA and names the station, the key is the certificate's, the batch
// key is a key of its KEM), so a station never stores a file it cannot use.
func Parse(data []byte) (*File, error) {
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", enroll.ErrProvisionFile, err)
	}
	return f, nil
}

func parse(data []byte) (*File, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("provisioning file: %d bytes, more than a provisioning file ever holds", len(data))
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("provisioning file: not a provisioning file: %w", err)
	}
	if f.Format == 0 {
		return nil, errors.New("provisioning file: not a provisioning file (no Format): use the …provision.json file central station add wrote")
	}
	if f.Format != Format {
		return nil, fmt.Errorf("provisioning file: format %d, this station reads format %d", f.Format, Format)
	}
	if err := enroll.CheckStationCode(f.Station); err != nil {
		return nil, fmt.Errorf("provisioning file: station: %w", err)
	}
	u, err := url.Parse(f.Central)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("provisioning file: central address %q is not an https:// address", f.Central)
	}
	ca, err := ParseCertificatePEM([]byte(f.CA))
	if err != nil {
		return nil, fmt.Errorf("provisioning file: CA: %w", err)
	}
	if !ca.IsCA {
		return nil, errors.New("provisioning file: CA: the certificate is not a certificate authority")
	}
	if _, err := f.TLSCertificate(); err != nil {
		return nil, err
	}
	cert, _ := ParseCertificatePEM([]byte(f.Certificate))
	if cert.Subject.CommonName != f.Station {
		return nil, fmt.Errorf("provisioning file: the certificate names station %q, the file %q", cert.Subject.CommonName, f.Station)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		CurrentTime: cert.NotBefore.Add(time.Hour)}); err != nil {
		return nil, fmt.Errorf("provisioning file: the station certificate was not issued by the file's CA: %w", err)
	}
	if _, err := f.BatchPublicKey(); err != nil {
		return nil, err
	}
	endorser, err := ParseCertificatePEM([]byte(f.EndorseCertificate))
	if err != nil {
		return nil, fmt.Errorf("provisioning file: endorsement certificate: %w", err)
	}
	if endorser.Subject.CommonName != f.Station {
		return nil, fmt.Errorf("provisioning file: the endorsement certificate names station %q, the file %q", endorser.Subject.CommonName, f.Station)
	}
	if _, err := endorser.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		CurrentTime: endorser.NotBefore.Add(time.Hour)}); err != nil {
		return nil, fmt.Errorf("provisioning file: the endorsement certificate was not issued by the file's CA: %w", err)
	}
	if f.EndorseKey != "" {
		if _, err := tls.X509KeyPair([]byte(f.EndorseCertificate), []byte(f.EndorseKey)); err != nil {
			return nil, fmt.Errorf("provisioning file: endorsement certificate and key: %w", err)
		}
	}
	if len(f.AckKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("provisioning file: acknowledgement key is %d bytes, want %d", len(f.AckKey), ed25519.PublicKeySize)
	}
	return &f, nil
}

// TLSCertificate is the station's client certificate and key for mutual TLS.
func (f *File) TLSCertificate() (tls.Certificate, error) {
	c, err := tls.X509KeyPair([]byte(f.Certificate), []byte(f.Key))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("provisioning file: station certificate and key: %w", err)
	}
	return c, nil
}

// Roots is a pool of central's CA.
func (f *File) Roots() (*x509.CertPool, error) {
	ca, err := ParseCertificatePEM([]byte(f.CA))
	if err != nil {
		return nil, fmt.Errorf("provisioning: CA: %w", err)
	}
	p := x509.NewCertPool()
	p.AddCert(ca)
	return p, nil
}

// TLSConfig is the station's side of mutual TLS with central.
func (f *File) TLSConfig() (*tls.Config, error) {
	cert, err := f.TLSCertificate()
	if err != nil {
		return nil, err
	}
	roots, err := f.Roots()
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, MinVersion: tls.VersionTLS13}, nil
}

// BatchPublicKey is central's HPKE key.
func (f *File) BatchPublicKey() (hpke.PublicKey, error) {
	kem, err := hpke.NewKEM(f.BatchKEM)
	if err != nil {
		return nil, fmt.Errorf("provisioning file: batch key: KEM %#04x: %w", f.BatchKEM, err)
	}
	pk, err := kem.NewPublicKey(f.BatchKey)
	if err != nil {
		return nil, fmt.Errorf("provisioning file: batch key: %w", err)
	}
	return pk, nil
}

// ErrUsed: the file has no endorsement key: it is a station's stored copy, or was used already.
var ErrUsed = enroll.ErrProvisionUsed

// Endorser is the one-time key that endorses the station's signing key, with its certificate.
func (f *File) Endorser() (*ecdsa.PrivateKey, *x509.Certificate, error) {
	if f.EndorseKey == "" {
		return nil, nil, ErrUsed
	}
	key, err := ParseKeyPEM([]byte(f.EndorseKey))
	if err != nil {
		return nil, nil, fmt.Errorf("provisioning: endorsement key: %w", err)
	}
	cert, err := ParseCertificatePEM([]byte(f.EndorseCertificate))
	if err != nil {
		return nil, nil, fmt.Errorf("provisioning: endorsement certificate: %w", err)
	}
	return key, cert, nil
}

// Endorsement is the station's endorsement certificate vouching for its batch-signing key: the
// certificate, and its key's signature over the station code and the signing key. Central
// trusts a batch's signature only through an endorsement certificate it issued to that station
// and has not replaced, which also works for batches carried on removable media.
type Endorsement struct {
	Certificate []byte // DER
	Signature   []byte // ECDSA (ASN.1) over SHA-256 of endorsementMessage
}

func endorsementMessage(station string, signingKey ed25519.PublicKey) []byte {
	m := []byte("enroll station signing key v1\x00" + station + "\x00")
	return append(m, signingKey...)
}

// Endorse makes the endorsement of signingKey by the station's client key.
func Endorse(cert *x509.Certificate, key *ecdsa.PrivateKey, station string, signingKey ed25519.PublicKey) ([]byte, error) {
	sum := sha256.Sum256(endorsementMessage(station, signingKey))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		return nil, fmt.Errorf("endorse signing key: %w", err)
	}
	return json.Marshal(Endorsement{Certificate: cert.Raw, Signature: sig})
}

// ErrEndorsement: the batch's signing key is not vouched for by a certificate central issued.
var ErrEndorsement = errors.New("the signing key is not endorsed by a certificate central issued to this station")

// CheckEndorsement verifies that the endorsement's certificate was issued by roots to
// station, was valid at `at`, and signed signingKey. It returns the certificate so central
// can check it is the one it still trusts.
func CheckEndorsement(data []byte, roots *x509.CertPool, station string, signingKey ed25519.PublicKey, at time.Time) (*x509.Certificate, error) {
	var e Endorsement
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: endorsement of %d bytes", ErrEndorsement, len(data))
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("%w: unreadable: %v", ErrEndorsement, err)
	}
	cert, err := x509.ParseCertificate(e.Certificate)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrEndorsement, err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEndorsement, err)
	}
	if cert.Subject.CommonName != station {
		return nil, fmt.Errorf("%w: the certificate is station %q's, the batch says %q", ErrEndorsement, cert.Subject.CommonName, station)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: certificate key %T", ErrEndorsement, cert.PublicKey)
	}
	sum := sha256.Sum256(endorsementMessage(station, signingKey))
	if !ecdsa.VerifyASN1(pub, sum[:], e.Signature) {
		return nil, fmt.Errorf("%w: the certificate's signature does not match", ErrEndorsement)
	}
	return cert, nil
}
