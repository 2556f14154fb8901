package gateway

import (
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"
)

// breaker denies the same tool with the same arguments once it has been
// called more than Limit times within Window: an agent stuck in a loop must
// not hammer a server (or a human) forever.
type breaker struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex // guards calls
	calls map[[32]byte][]time.Time
}

func newBreaker(limit int, window time.Duration, now func() time.Time) *breaker {
	return &breaker{limit: limit, window: window, now: now, calls: make(map[[32]byte][]time.Time)}
}

// allow records one call and reports whether it is within the limit.
func (b *breaker) allow(server, tool string, args map[string]any) bool {
	key := callKey(server, tool, args)
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	times := b.calls[key]
	keep := times[:0]
	for _, t := range times {
		if now.Sub(t) < b.window {
			keep = append(keep, t)
		}
	}
	keep = append(keep, now)
	if len(keep) > b.limit+1 {
		// Only whether the limit is exceeded matters: an agent hammering
		// one call must not make each check cost more than the last.
		keep = append(keep[:0], keep[len(keep)-b.limit-1:]...)
	}
	b.calls[key] = keep
	if len(b.calls) > 4096 {
		b.pruneLocked(now)
	}
	return len(keep) <= b.limit
}

// pruneLocked drops keys with no call inside the window, so a stream of
// distinct calls cannot grow the map without bound.
func (b *breaker) pruneLocked(now time.Time) {
	for k, times := range b.calls {
		if len(times) == 0 || now.Sub(times[len(times)-1]) >= b.window {
			delete(b.calls, k)
		}
	}
}

// callKey hashes server, tool and the arguments as JSON (encoding/json sorts
// map keys, so equal arguments hash equally).
func callKey(server, tool string, args map[string]any) [32]byte {
	h := sha256.New()
	h.Write([]byte(server))
	h.Write([]byte{0})
	h.Write([]byte(tool))
	h.Write([]byte{0})
	b, err := json.Marshal(args)
	if err != nil {
		b = []byte("unmarshalable")
	}
	h.Write(b)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}
