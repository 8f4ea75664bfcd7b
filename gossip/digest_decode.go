package gossip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// DecodeDigest parses a digest written by Digest.Encode, of this or a later
// release of the same version (unknown fields are skipped). Input over
// MaxDigestBytes is refused before it is read (ErrDigestSize), another message
// type gives ErrNotDigest, another version ErrUnsupportedVersion; malformed
// input and a digest that does not Validate give an error, never a panic. What
// it allocates is bounded by the input's size.
func DecodeDigest(b []byte) (Digest, error) {
	switch {
	case len(b) > MaxDigestBytes:
		return Digest{}, fmt.Errorf("gossip: decoding digest: %d bytes: %w", len(b), ErrDigestSize)
	case len(b) < 2:
		return Digest{}, fmt.Errorf("gossip: decoding digest: %d bytes: too short", len(b))
	case b[0] != digestMsgType:
		return Digest{}, fmt.Errorf("gossip: decoding digest: message type %#x: %w", b[0], ErrNotDigest)
	case b[1] != DigestVersion:
		return Digest{}, fmt.Errorf("gossip: decoding digest: version %d: %w", b[1], ErrUnsupportedVersion)
	}
	d, err := decodeDigest(b[2:])
	if err == nil {
		err = d.Validate()
	}
	if err != nil {
		return Digest{}, fmt.Errorf("gossip: decoding digest: %w", err)
	}
	return d, nil
}

// rawDigest is a digest's top-level fields, entries not yet decoded (they need
// the time they are relative to).
type rawDigest struct {
	sent          int64
	checks, rtt   [][]byte
	member, coord []byte
	truncated     bool
}

func decodeDigest(b []byte) (Digest, error) {
	var raw rawDigest
	if err := forFields(b, raw.set); err != nil {
		return Digest{}, err
	}
	d := Digest{Member: string(raw.member), Sent: time.UnixMilli(raw.sent).UTC(), Truncated: raw.truncated}
	if raw.coord != nil {
		c, err := decodeCoord(raw.coord)
		if err != nil {
			return Digest{}, err
		}
		d.Coord = c
	}
	if len(raw.checks) > 0 {
		d.Checks = make([]CheckDigest, len(raw.checks))
	}
	for i, e := range raw.checks {
		if err := forFields(e, (&checkFields{c: &d.Checks[i], sent: raw.sent}).set); err != nil {
			return Digest{}, fmt.Errorf("check %d: %w", i, err)
		}
	}
	if len(raw.rtt) > 0 {
		d.RTT = make([]PeerRTT, len(raw.rtt))
	}
	for i, e := range raw.rtt {
		if err := forFields(e, (&rttFields{r: &d.RTT[i], sent: raw.sent}).set); err != nil {
			return Digest{}, fmt.Errorf("rtt %d: %w", i, err)
		}
	}
	return d, nil
}

func (r *rawDigest) set(tag byte, val []byte) error {
	switch tag {
	case dtMember:
		r.member = val
	case dtSent:
		ms, err := uvarintField(val, uint64(digestEnd.UnixMilli()))
		if err != nil {
			return fmt.Errorf("sent: %w", err)
		}
		r.sent = int64(ms)
	case dtCheck:
		if len(r.checks) == MaxDigestChecks {
			return fmt.Errorf("over %d checks", MaxDigestChecks)
		}
		r.checks = append(r.checks, val)
	case dtRTT:
		if len(r.rtt) == MaxDigestRTT {
			return fmt.Errorf("over %d RTT entries", MaxDigestRTT)
		}
		r.rtt = append(r.rtt, val)
	case dtCoord:
		r.coord = val
	case dtTruncated:
		r.truncated = len(val) == 1 && val[0] == 1
	}
	return nil
}

// checkFields decodes one check entry's fields into c.
type checkFields struct {
	c    *CheckDigest
	sent int64
}

func (f *checkFields) set(tag byte, val []byte) error {
	var err error
	switch tag {
	case ctName:
		f.c.Name = string(val)
	case ctType:
		f.c.Type = string(val)
	case ctResult:
		f.c.Result = string(val)
	case ctLastRun:
		f.c.LastRun, err = relativeTime(val, f.sent)
	case ctLastSuccess:
		f.c.LastSuccess, err = relativeTime(val, f.sent)
	case ctFailures:
		var n uint64
		n, err = uvarintField(val, maxConsecutiveFailures)
		f.c.ConsecutiveFailures = int(n)
	case ctError:
		f.c.Error = string(val)
	}
	return err
}

// rttFields decodes one RTT entry's fields into r.
type rttFields struct {
	r    *PeerRTT
	sent int64
}

func (f *rttFields) set(tag byte, val []byte) error {
	var err error
	switch tag {
	case rtPeer:
		f.r.Peer = string(val)
	case rtNanos:
		var ns uint64
		ns, err = uvarintField(val, maxDigestRTTSeconds*1e9)
		f.r.Seconds = float64(ns) / 1e9
	case rtAt:
		f.r.At, err = relativeTime(val, f.sent)
	}
	return err
}

func decodeCoord(b []byte) (*Coordinate, error) {
	c := &Coordinate{}
	err := forFields(b, func(tag byte, val []byte) error {
		switch tag {
		case coVec:
			if len(val)%8 != 0 || len(val) > 8*maxCoordDims {
				return fmt.Errorf("coordinate: %d bytes of vector", len(val))
			}
			c.Vec = make([]float64, 0, len(val)/8)
			for i := 0; i < len(val); i += 8 {
				c.Vec = append(c.Vec, math.Float64frombits(binary.LittleEndian.Uint64(val[i:])))
			}
		case coError:
			return float64Field(val, &c.Error)
		case coAdjustment:
			return float64Field(val, &c.Adjustment)
		case coHeight:
			return float64Field(val, &c.Height)
		}
		return nil
	})
	return c, err
}

// float64Field reads a field that is exactly one little-endian float64.
func float64Field(b []byte, v *float64) error {
	if len(b) != 8 {
		return fmt.Errorf("coordinate: a number of %d bytes", len(b))
	}
	*v = math.Float64frombits(binary.LittleEndian.Uint64(b))
	return nil
}

// forFields calls fn for each tag-length-value field of b.
func forFields(b []byte, fn func(tag byte, val []byte) error) error {
	for len(b) > 0 {
		tag := b[0]
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > uint64(len(b)-1-k) {
			return fmt.Errorf("field %d: bad length", tag)
		}
		if err := fn(tag, b[1+k:1+k+int(n)]); err != nil {
			return err
		}
		b = b[1+k+int(n):]
	}
	return nil
}

// uvarintField reads a field that is exactly one uvarint of at most limit.
func uvarintField(b []byte, limit uint64) (uint64, error) {
	v, k := binary.Uvarint(b)
	switch {
	case k <= 0 || k != len(b):
		return 0, errors.New("bad number")
	case v > limit:
		return 0, fmt.Errorf("%d over %d", v, limit)
	}
	return v, nil
}

// relativeTime reads a varint of milliseconds relative to sent.
func relativeTime(b []byte, sent int64) (time.Time, error) {
	v, k := binary.Varint(b)
	span := digestEnd.UnixMilli() - digestEpoch.UnixMilli()
	if k <= 0 || k != len(b) || v < -span || v > span {
		return time.Time{}, errors.New("bad time")
	}
	return time.UnixMilli(sent + v).UTC(), nil
}

// Validate reports the first reason d is not a digest members exchange: an
// empty or over-long name, a string that is not UTF-8, too many entries, a
// number that is not finite or out of range, a time before 2000, after 2200 or
// more than a minute after Sent.
func (d Digest) Validate() error {
	if err := validString("member", d.Member, maxDigestName, true); err != nil {
		return err
	}
	if d.Sent.Before(digestEpoch) || !d.Sent.Before(digestEnd) {
		return fmt.Errorf("sent %s: out of range", d.Sent.Format(time.RFC3339))
	}
	if len(d.Checks) > MaxDigestChecks || len(d.RTT) > MaxDigestRTT {
		return fmt.Errorf("%d checks and %d RTT entries: over %d and %d", len(d.Checks), len(d.RTT), MaxDigestChecks, MaxDigestRTT)
	}
	for i, c := range d.Checks {
		if err := c.validate(d.Sent); err != nil {
			return fmt.Errorf("check %d: %w", i, err)
		}
	}
	for i, r := range d.RTT {
		if err := r.validate(d.Sent); err != nil {
			return fmt.Errorf("rtt %d: %w", i, err)
		}
	}
	if d.Coord != nil {
		return validCoord(d.Coord)
	}
	return nil
}

func (c CheckDigest) validate(sent time.Time) error {
	for _, f := range []struct {
		what, s  string
		max      int
		required bool
	}{
		{"name", c.Name, maxDigestName, true}, {"type", c.Type, maxDigestWord, false},
		{"result", c.Result, maxDigestWord, false}, {"error", c.Error, MaxDigestErrorBytes, false},
	} {
		if err := validString(f.what, f.s, f.max, f.required); err != nil {
			return err
		}
	}
	if c.ConsecutiveFailures < 0 || c.ConsecutiveFailures > maxConsecutiveFailures {
		return fmt.Errorf("consecutive failures %d: out of range", c.ConsecutiveFailures)
	}
	if err := validTime("last run", c.LastRun, sent); err != nil {
		return err
	}
	return validTime("last success", c.LastSuccess, sent)
}

func (r PeerRTT) validate(sent time.Time) error {
	if err := validString("peer", r.Peer, maxDigestName, true); err != nil {
		return err
	}
	if math.IsNaN(r.Seconds) || r.Seconds < 0 || r.Seconds > maxDigestRTTSeconds {
		return fmt.Errorf("rtt %v s: out of range", r.Seconds)
	}
	return validTime("measured at", r.At, sent)
}

func validCoord(c *Coordinate) error {
	if len(c.Vec) == 0 || len(c.Vec) > maxCoordDims {
		return fmt.Errorf("coordinate: %d dimensions", len(c.Vec))
	}
	for _, v := range append([]float64{c.Error, c.Adjustment, c.Height}, c.Vec...) {
		if math.IsNaN(v) || math.Abs(v) > maxCoordAbs {
			return fmt.Errorf("coordinate: %v: not finite or out of range", v)
		}
	}
	if c.Error < 0 || c.Height < 0 {
		return errors.New("coordinate: negative error or height")
	}
	return nil
}

func validString(what, s string, limit int, required bool) error {
	switch {
	case required && s == "":
		return fmt.Errorf("%s: empty", what)
	case len(s) > limit:
		return fmt.Errorf("%s: %d bytes, over %d", what, len(s), limit)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s: not UTF-8", what)
	}
	return nil
}

// validTime accepts a zero time, or one from 2000 to a minute after sent.
func validTime(what string, t, sent time.Time) error {
	if t.IsZero() || (!t.Before(digestEpoch) && !t.After(sent.Add(digestClockSkew))) {
		return nil
	}
	return fmt.Errorf("%s %s: out of range", what, t.Format(time.RFC3339))
}
