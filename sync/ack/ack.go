// Package ack is central's answer to a station: the status of its records and the outcome of
// its batches, signed with central's acknowledgement key. The same document answers a status
// pull over the network and travels back on removable media as an acknowledgement file, so a
// station that is never online applies exactly what an online one would.
package ack

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardpolice/enroll"
)

// Format is the acknowledgement's version.
const Format = 1

// maxSize bounds what Parse reads: a verdict is about 150 bytes, so this is some 400 000 records.
const maxSize = 64 << 20

// Batch outcomes.
const (
	BatchReceived  = "received"  // stored now
	BatchDuplicate = "duplicate" // stored before; nothing new
	BatchRefused   = "refused"   // nothing of it stored; Reason says why
)

// BatchOutcome is what central did with one batch.
type BatchOutcome struct {
	ID      string
	Outcome string
	Reason  string `json:",omitempty"`
}

// Ack is the signed content.
type Ack struct {
	Format   int
	Station  string
	Issued   time.Time
	Batches  []BatchOutcome   `json:",omitempty"`
	Verdicts []enroll.Verdict `json:",omitempty"`
}

// envelope is what is written: the content as bytes, so the signature covers exactly them.
type envelope struct {
	Ack       json.RawMessage
	Signature []byte
}

func message(body []byte) []byte { return append([]byte("enroll central ack v1\x00"), body...) }

// Sign writes the acknowledgement signed by central's key.
func Sign(a Ack, key ed25519.PrivateKey) ([]byte, error) {
	a.Format = Format
	body, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("acknowledgement: %w", err)
	}
	// The signature covers the compact content; Parse compacts what it reads, so the file may
	// be indented for people to read (and re-indented by an editor) without breaking it.
	return json.MarshalIndent(envelope{Ack: body, Signature: ed25519.Sign(key, message(body))}, "", " ")
}

// ErrSignature: the acknowledgement was not signed by the central this station is bound to.
var ErrSignature = errors.New("acknowledgement: not signed by this station's central")

// Parse checks the signature with central's key, then reads and checks the content: it must
// be for station and every verdict must be a status central reports.
func Parse(data []byte, key ed25519.PublicKey, station string) (*Ack, error) {
	if len(data) > maxSize {
		return nil, fmt.Errorf("acknowledgement: %d bytes, more than any acknowledgement holds", len(data))
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("acknowledgement: not an acknowledgement file: %w", err)
	}
	if len(env.Ack) == 0 {
		return nil, errors.New("acknowledgement: no content")
	}
	var body bytes.Buffer
	if err := json.Compact(&body, env.Ack); err != nil {
		return nil, fmt.Errorf("acknowledgement: content: %w", err)
	}
	if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, message(body.Bytes()), env.Signature) {
		return nil, ErrSignature
	}
	var a Ack
	if err := json.Unmarshal(env.Ack, &a); err != nil {
		return nil, fmt.Errorf("acknowledgement: content: %w", err)
	}
	if a.Format != Format {
		return nil, fmt.Errorf("acknowledgement: format %d, this station reads format %d", a.Format, Format)
	}
	if a.Station != station {
		return nil, fmt.Errorf("acknowledgement: it is for station %q, this is %q", a.Station, station)
	}
	for _, v := range a.Verdicts {
		if err := v.Check(); err != nil {
			return nil, fmt.Errorf("acknowledgement: %w", err)
		}
	}
	for _, b := range a.Batches {
		switch b.Outcome {
		case BatchReceived, BatchDuplicate, BatchRefused:
		default:
			return nil, fmt.Errorf("acknowledgement: batch %s: unknown outcome %q", b.ID, b.Outcome)
		}
	}
	return &a, nil
}
