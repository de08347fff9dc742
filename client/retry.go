package client

import (
	"math/rand/v2"
	"time"
)

// RetryOptions is an exponential back-off policy with limits, used for reconnecting
// ([Options.ReconnectRetry]) and for resending requests whose ack did not arrive or reported a
// transient error ([Options.MessageRetry]). The zero value means the defaults of the field it
// sits in.
//
// The delay before retry n (1-based) is RetryDelay·2^(n-1), capped at MaxRetryDelay, then
// multiplied by a random factor in [0.8, 1.2) so that many clients do not retry in step.
type RetryOptions struct {
	// MaxRetries is the number of retries after the first attempt. Zero means the default
	// (3 for messages, unlimited for reconnects); a negative value disables retries.
	MaxRetries int
	// RetryDelay is the delay before the first retry. Default 1s.
	RetryDelay time.Duration
	// MaxRetryDelay caps the delay. Default 30s.
	MaxRetryDelay time.Duration
}

// Retry defaults.
const (
	DefaultMessageRetries = 3
	DefaultRetryDelay     = time.Second
	DefaultMaxRetryDelay  = 30 * time.Second
	unlimitedRetries      = -1
)

// retryPolicy is a RetryOptions with defaults applied.
type retryPolicy struct {
	maxRetries int // -1: unlimited
	delay      time.Duration
	maxDelay   time.Duration
	rand       func() float64
}

func newRetryPolicy(o RetryOptions, defaultRetries int) retryPolicy {
	p := retryPolicy{maxRetries: o.MaxRetries, delay: o.RetryDelay, maxDelay: o.MaxRetryDelay, rand: rand.Float64}
	switch {
	case o.MaxRetries == 0:
		p.maxRetries = defaultRetries
	case o.MaxRetries < 0:
		p.maxRetries = 0
	}
	if p.delay <= 0 {
		p.delay = DefaultRetryDelay
	}
	if p.maxDelay <= 0 {
		p.maxDelay = DefaultMaxRetryDelay
	}
	if p.maxDelay < p.delay {
		p.maxDelay = p.delay
	}
	return p
}

// next returns the delay before retry n (1-based) and whether that retry is allowed.
func (p retryPolicy) next(n int) (time.Duration, bool) {
	if n < 1 || (p.maxRetries >= 0 && n > p.maxRetries) {
		return 0, false
	}
	d := p.delay
	for i := 1; i < n && d < p.maxDelay; i++ {
		d *= 2
	}
	d = min(d, p.maxDelay)
	return time.Duration(float64(d) * (0.8 + 0.4*p.rand())), true
}
