package client

import "sync"

// ackResult is the outcome the service reported for one ack id.
type ackResult struct {
	duplicated bool
	err        *AckError // nil on success
}

// outcome returns r as the result of an attempt (its AckID is set by the caller).
func (r ackResult) outcome() (AckResult, error) {
	res := AckResult{Duplicated: r.duplicated}
	if r.err != nil {
		return res, r.err
	}
	return res, nil
}

// ackManager hands out ack ids and routes each ack frame to the request waiting for it. Ack ids
// start at 1 and grow for the life of the client (they are not reset on reconnect), so a resent
// request reuses its id and a late ack still finds its waiter.
type ackManager struct {
	mu         sync.Mutex
	last       uint64
	waiters    map[uint64]chan ackResult
	registered chan struct{} // signalled by register, for eventQueue.waitRoom
}

func newAckManager() *ackManager {
	return &ackManager{waiters: make(map[uint64]chan ackResult), registered: make(chan struct{}, 1)}
}

// register reserves id (a fresh one when id is 0) and returns it with the channel that receives
// its ack. ok is false when a request with the same id is already waiting.
func (m *ackManager) register(id uint64) (uint64, <-chan ackResult, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id == 0 {
		for {
			m.last++
			if _, busy := m.waiters[m.last]; !busy && m.last != 0 {
				break
			}
		}
		id = m.last
	} else if _, busy := m.waiters[id]; busy {
		return id, nil, false
	}
	ch := make(chan ackResult, 1)
	m.waiters[id] = ch
	signal(m.registered)
	return id, ch, true
}

// resolve delivers an ack frame to its waiter. It reports false for an ack nobody waits for
// (a late ack after the request gave up, or a fire-and-forget id chosen by the caller).
func (m *ackManager) resolve(d *downstream) bool {
	m.mu.Lock()
	ch, ok := m.waiters[d.AckID]
	m.mu.Unlock()
	if !ok {
		return false
	}
	var r ackResult
	switch {
	case d.Success:
	case d.Error != nil && d.Error.Name == AckErrorDuplicate:
		r.duplicated = true
	default:
		r.err = &AckError{AckID: d.AckID}
		if d.Error != nil {
			r.err.Name, r.err.Message = d.Error.Name, d.Error.Message
		}
	}
	select {
	case ch <- r:
	default: // a second ack for the same attempt: keep the first
	}
	return true
}

// remove forgets id once its request finished.
func (m *ackManager) remove(id uint64) {
	m.mu.Lock()
	delete(m.waiters, id)
	m.mu.Unlock()
}

// pending returns the number of requests waiting for an ack.
func (m *ackManager) pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}
