package client

import "sync"

// sequenceTracker follows the sequence ids of a reliable connection: it drops duplicates (ids
// not above the largest seen, as redelivered after a recovery) and decides when to send a
// sequenceAck. Gaps are not errors: the service only promises increasing ids.
type sequenceTracker struct {
	mu      sync.Mutex
	largest uint64 // largest id received, 0: none yet
	acked   uint64 // largest id sent in a sequenceAck
}

// receive records id. It reports whether the message is new (to be delivered) and whether an
// immediate sequenceAck is due: because the largest id is more than quick ahead of the last
// ack, or because a duplicate shows that the service did not see our last ack (it redelivers
// after a recovery), so that it can free its buffer at once.
func (s *sequenceTracker) receive(id uint64, quick uint64) (isNew, ackNow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id <= s.largest {
		return false, s.acked < s.largest
	}
	s.largest = id
	return true, s.largest-s.acked > quick
}

// toAck returns the id to acknowledge, or false when nothing arrived since the last ack.
// The caller reports the outcome of sending it with acked or unsent.
func (s *sequenceTracker) toAck() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.largest == s.acked {
		return 0, false
	}
	return s.largest, true
}

// sent records that a sequenceAck for id was written.
func (s *sequenceTracker) sent(id uint64) {
	s.mu.Lock()
	if id > s.acked {
		s.acked = id
	}
	s.mu.Unlock()
}

// reset forgets everything: a new connection numbers its messages from scratch.
func (s *sequenceTracker) reset() {
	s.mu.Lock()
	s.largest, s.acked = 0, 0
	s.mu.Unlock()
}

// recovered prepares for a recovered connection: the service redelivers everything above the
// last ack it saw, which may be below what we sent if the ack was lost, so the next ack is
// sent again.
func (s *sequenceTracker) recovered() {
	s.mu.Lock()
	s.acked = 0
	s.mu.Unlock()
}
