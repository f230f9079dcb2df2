package report

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Report ids are written in Crockford's base32 (digits and upper-case
// letters without I, L, O, U), so that a printed id can be read aloud and
// typed back: parsing ignores case, hyphens and spaces and reads O as 0
// and I, L as 1. The last character is a check character over the body
// (weighted sum mod 31), so a mistyped character is a malformed id (400)
// rather than an unknown one (404).
//
// Two kinds exist:
//
//	R-<16 random chars><check>           a single check (API or map page): 80 random bits
//	B-<20 chars job id><seq…><check>     a row of a batch job: the job's 96-bit id and the row's seq
//
// R ids are random, not sequential: one id says nothing about another.
// B ids of one job share their first 22 characters; they are as hard to
// guess as the job id, which the owner of the workbook already holds.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Prefixes of the two kinds of id.
const (
	PrefixCheck = "R-"
	PrefixBatch = "B-"
)

const (
	randomChars = 16 // R ids: 80 bits
	jobChars    = 20 // B ids: a 12-byte job id
	jobBytes    = 12
)

// ErrMalformedID is returned by ParseID for text that is not a report id
// (wrong prefix, length, characters or check character).
var ErrMalformedID = errors.New("report: malformed id")

// ID is a parsed report id.
type ID struct {
	// Batch is true for B ids; R ids (API and page checks share them,
	// the record says which) have it false.
	Batch bool
	// JobID and Seq name the batch row of a B id; JobID is the 24
	// lower-case hex digits the batch store uses.
	JobID string
	Seq   int
	// Text is the canonical form (upper case, no grouping).
	Text string
}

func (id ID) String() string { return id.Text }

// NewID returns a fresh random R id from crypto/rand.
func NewID() (string, error) {
	var b [randomChars]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("report id: %w", err)
	}
	body := make([]byte, randomChars)
	for i, v := range b {
		body[i] = alphabet[v&31]
	}
	return PrefixCheck + string(body) + string(check(body)), nil
}

// BatchRowID returns the id of row seq of batch job jobID, or "" when the
// job id is not the 24 hex digits the batch store hands out (such a job's
// rows have no report id) or seq < 0.
func BatchRowID(jobID string, seq int) string {
	raw, err := hex.DecodeString(jobID)
	if err != nil || len(raw) != jobBytes || seq < 0 || strings.ToLower(jobID) != jobID {
		return ""
	}
	body := make([]byte, 0, jobChars+4)
	body = appendBits(body, raw)
	body = appendUint(body, uint64(seq))
	return PrefixBatch + string(body) + string(check(body))
}

// ParseID reads a report id as written on paper or typed by a person; it
// returns ErrMalformedID (wrapped with the reason) for anything else.
func ParseID(s string) (ID, error) {
	clean := make([]byte, 0, len(s))
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == '-' || r == ' ' || r == '\u00a0':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= 0x80:
			return ID{}, fmt.Errorf("%w: unexpected character %q", ErrMalformedID, r)
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		clean = append(clean, byte(r))
	}
	if len(clean) < 2 {
		return ID{}, fmt.Errorf("%w: too short", ErrMalformedID)
	}
	kind, body := clean[0], clean[1:]
	for _, c := range body {
		if strings.IndexByte(alphabet, c) < 0 {
			return ID{}, fmt.Errorf("%w: character %q is not base32", ErrMalformedID, c)
		}
	}
	switch kind {
	case 'R':
		if len(body) != randomChars+1 {
			return ID{}, fmt.Errorf("%w: an R id has %d characters after R-, got %d", ErrMalformedID, randomChars+1, len(body))
		}
	case 'B':
		if len(body) < jobChars+2 || len(body) > jobChars+14 {
			return ID{}, fmt.Errorf("%w: a B id has %d to %d characters after B-, got %d", ErrMalformedID, jobChars+2, jobChars+14, len(body))
		}
	default:
		return ID{}, fmt.Errorf("%w: it starts with R- or B-", ErrMalformedID)
	}
	n := len(body) - 1
	if check(body[:n]) != body[n] {
		return ID{}, fmt.Errorf("%w: check character does not match (a character was mistyped)", ErrMalformedID)
	}
	id := ID{Text: string(kind) + "-" + string(body)}
	if kind == 'B' {
		raw, ok := readBits(body[:jobChars], jobBytes)
		if !ok {
			return ID{}, fmt.Errorf("%w: job part out of range", ErrMalformedID)
		}
		seq, ok := readUint(body[jobChars:n])
		if !ok || seq > 1<<40 {
			return ID{}, fmt.Errorf("%w: row part out of range", ErrMalformedID)
		}
		id.Batch, id.JobID, id.Seq = true, hex.EncodeToString(raw), int(seq)
		// Non-canonical encodings (leading zeros in the row) are refused
		// so that each row has exactly one id.
		if BatchRowID(id.JobID, id.Seq) != id.Text {
			return ID{}, fmt.Errorf("%w: not in canonical form", ErrMalformedID)
		}
	}
	return id, nil
}

// check is the weighted sum of the body's values, mod 31: any single
// substituted character (but 0↔Z) and any swap of two neighbours that
// differ (but 0 and Z) changes it, for bodies under 30 characters (all
// R ids, and B ids of rows below 32⁹).
func check(body []byte) byte {
	sum := 0
	for i, c := range body {
		sum += (i + 1) * strings.IndexByte(alphabet, c)
	}
	return alphabet[sum%31]
}

// appendBits writes raw as base32, 5 bits a character, the last one
// padded with zero bits.
func appendBits(dst, raw []byte) []byte {
	var acc uint32
	bits := 0
	for _, b := range raw {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			dst = append(dst, alphabet[(acc>>bits)&31])
		}
	}
	if bits > 0 {
		dst = append(dst, alphabet[(acc<<(5-bits))&31])
	}
	return dst
}

// readBits is appendBits' inverse; padding bits must be zero.
func readBits(s []byte, n int) ([]byte, bool) {
	out := make([]byte, 0, n)
	var acc uint32
	bits := 0
	for _, c := range s {
		acc = acc<<5 | uint32(strings.IndexByte(alphabet, c))
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if len(out) != n || acc&(1<<bits-1) != 0 {
		return nil, false
	}
	return out, true
}

// appendUint writes v in base32, most significant first, without leading
// zeros (0 is "0").
func appendUint(dst []byte, v uint64) []byte {
	var buf [13]byte
	i := len(buf)
	for {
		i--
		buf[i] = alphabet[v&31]
		v >>= 5
		if v == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

func readUint(s []byte) (uint64, bool) {
	if len(s) == 0 || len(s) > 12 {
		return 0, false
	}
	var v uint64
	for _, c := range s {
		v = v<<5 | uint64(strings.IndexByte(alphabet, c))
	}
	return v, true
}
