package gossip

import (
	"io"
	"sync"
)

// smallFrameBytes is the largest first frame read into a buffer of its own;
// larger frames share one buffer, one at a time, so a stream of garbage frames
// allocates nothing: a push/pull of up to about 200 members is small.
const smallFrameBytes = 64 << 10

// frameAuth reads a stream's first frame and authenticates it (AES-GCM, the
// frame header as additional data, as memberlist encrypts streams) before
// memberlist reads it, so memberlist never buffers, decrypts or logs a frame no
// installed key authenticates. Safe for concurrent use.
type frameAuth struct {
	keys     func() [][]byte
	maxFrame uint32

	large        sync.Mutex // held while largeBuf and largeScratch are in use
	largeBuf     []byte
	largeScratch []byte
}

// read reads the n-byte frame that follows hdr and authenticates it. It returns
// the frame and a function that gives its buffer back (call it once memberlist
// has read the frame), or the refusal reason.
func (a *frameAuth) read(r io.Reader, hdr []byte, n uint32) ([]byte, func(), string) {
	buf, scratch, release, ok := a.buffers(n)
	if !ok {
		return nil, nil, RefusedPending
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		release()
		return nil, nil, RefusedFrameRead
	}
	if !a.authentic(buf, scratch, hdr) {
		release()
		return nil, nil, RefusedStreamAuth
	}
	return buf, release, ""
}

// buffers returns a frame buffer of n bytes and a scratch buffer as large; false
// when the shared large buffer is in use.
func (a *frameAuth) buffers(n uint32) (buf, scratch []byte, release func(), ok bool) {
	if n <= smallFrameBytes {
		return make([]byte, n), make([]byte, 0, n), func() {}, true
	}
	if !a.large.TryLock() {
		return nil, nil, nil, false
	}
	if a.largeBuf == nil {
		a.largeBuf, a.largeScratch = make([]byte, a.maxFrame), make([]byte, 0, a.maxFrame)
	}
	return a.largeBuf[:n], a.largeScratch[:0], sync.OnceFunc(a.large.Unlock), true
}

// authentic reports whether an installed key opens the frame: an encryption
// version, a nonce, then ciphertext and tag. With no keys (none loaded yet) only
// the form is checked.
func (a *frameAuth) authentic(frame, scratch, hdr []byte) bool {
	if len(frame) < minPacketBytes || frame[0] > maxEncryptionVersion {
		return false
	}
	var keys [][]byte
	if a.keys != nil {
		keys = a.keys()
	}
	if len(keys) == 0 {
		return true
	}
	nonce, sealed := frame[1:1+packetNonceBytes], frame[1+packetNonceBytes:]
	for _, k := range keys {
		gcm, err := newAEAD(k)
		if err != nil {
			continue
		}
		if _, err := gcm.Open(scratch[:0], nonce, sealed, hdr); err == nil {
			return true
		}
	}
	return false
}

// releasingReader reads r and calls release once r is exhausted.
type releasingReader struct {
	r       io.Reader
	release func()
}

// Read implements io.Reader.
func (rr *releasingReader) Read(b []byte) (int, error) {
	n, err := rr.r.Read(b)
	if err == io.EOF {
		rr.release()
	}
	return n, err
}
