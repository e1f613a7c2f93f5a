package store

import (
	"bytes"
	"crypto/rand"
)

// What a copy of the file must not tell about a record beyond what the README lists: how long
// the name is, how many words it has, whether a phone was given. Sealing hides content but
// not size (a sealed value is its plain text plus 33 bytes), and a record's number of search
// terms follows from its words; so sealed JSON is padded to size buckets and every record has
// the same number of search terms, real ones topped up with random dummies.

// Buckets for sealed JSON: a summary (name, ID, phone) fits 256 bytes for any real name; a
// record's document, 2 KiB steps (addresses and integrations vary; images are stored apart).
const (
	summaryBucket  = 256
	documentBucket = 2048
)

// padJSON appends spaces up to the next multiple of bucket: JSON ignores trailing white
// space, so the padded value opens and decodes as before.
func padJSON(b []byte, bucket int) []byte {
	n := (len(b) + bucket - 1) / bucket * bucket
	if n == 0 {
		n = bucket
	}
	return append(b, bytes.Repeat([]byte{' '}, n-len(b))...)
}

// termsPerRecord is how many search terms every record has. A six-word name with ID and
// phone has 6 words + 15 pairs + 1 ID + 6 prefixes + 1 phone = 29; longer names (rare) go
// up in steps of 16, which is all the file says about them.
const termsPerRecord = 32

// blindTerms are a record's search index entries: the keyed terms, then random dummies up to
// the record's fixed count. A dummy is 16 random bytes, indistinguishable from a keyed term
// that no other record shares, and matches no search.
func blindTerms(k *keys, sum summary) [][]byte {
	terms := searchTerms(sum)
	n := termsPerRecord
	for n < len(terms) {
		n += 16
	}
	out := make([][]byte, 0, n)
	for _, t := range terms {
		out = append(out, k.blind(t))
	}
	for len(out) < n {
		d := make([]byte, 16)
		rand.Read(d)
		out = append(out, d)
	}
	return out
}
