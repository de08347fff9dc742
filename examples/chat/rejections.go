package main

import (
	"sync"
	"time"
)

// Limits of the rejection store.
const (
	maxRejections   = 1024        // reasons kept at once; the oldest is dropped beyond
	rejectionTTL    = time.Minute // how long a reason can be fetched
	maxAttemptIDLen = 64          // longer attempt ids are not stored
)

// rejections keeps, for a short while, why the connect handler refused a connection attempt.
// A browser cannot read the status or body of a refused WebSocket handshake (it only sees the
// socket close), so the page asks the app afterwards with the attempt id it passed in the
// connection URL. It is bounded in count and age and safe for concurrent use.
//
// It lives in the app process: with several replicas behind a load balancer, use sticky
// sessions for /connect-error or a shared store.
type rejections struct {
	mu    sync.Mutex
	now   func() time.Time
	byID  map[string]rejection
	order []string // insertion order, for eviction
}

type rejection struct {
	reason string
	at     time.Time
}

func newRejections(now func() time.Time) *rejections {
	if now == nil {
		now = time.Now
	}
	return &rejections{now: now, byID: make(map[string]rejection)}
}

// put records reason for the attempt id; empty or over-long ids are ignored.
func (r *rejections) put(id, reason string) {
	if id == "" || len(id) > maxAttemptIDLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byID[id]; !ok {
		r.order = append(r.order, id)
	}
	r.byID[id] = rejection{reason: reason, at: r.now()}
	for len(r.order) > maxRejections {
		delete(r.byID, r.order[0])
		r.order = r.order[1:]
	}
}

// take returns and forgets the reason recorded for id, if it is not older than rejectionTTL.
func (r *rejections) take(id string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rej, ok := r.byID[id]
	if !ok {
		return "", false
	}
	delete(r.byID, id)
	for i, o := range r.order {
		if o == id {
			r.order = append(r.order[:i], r.order[i+1:]...)
			break
		}
	}
	if r.now().Sub(rej.at) > rejectionTTL {
		return "", false
	}
	return rej.reason, true
}
