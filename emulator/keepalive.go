package emulator

import (
	"sync"
	"time"
)

// keepAliveWorkers bounds the pings in flight at once.
const keepAliveWorkers = 32

// keepAlive pings every attached connection each KeepAliveInterval while the emulator has
// connections; a connection that does not answer within the interval is dropped (a reliable
// one stays recoverable). One goroutine and a bounded pool serve all connections, so an idle
// connection holds no timer or goroutine of its own.
func (e *Emulator) keepAlive() {
	t := time.NewTicker(e.cfg.KeepAliveInterval)
	defer t.Stop()
	for range t.C {
		e.mu.Lock()
		if e.nconns == 0 {
			e.keepAliveRunning = false
			e.mu.Unlock()
			return
		}
		hubs := make([]*hub, 0, len(e.hubs))
		for _, h := range e.hubs {
			hubs = append(hubs, h)
		}
		e.mu.Unlock()
		var conns []*conn
		for _, h := range hubs {
			h.mu.RLock()
			for _, c := range h.conns {
				conns = append(conns, c)
			}
			h.mu.RUnlock()
		}
		work := make(chan *conn)
		var wg sync.WaitGroup
		for range min(keepAliveWorkers, len(conns)) {
			wg.Go(func() {
				for c := range work {
					c.ping()
				}
			})
		}
		for _, c := range conns {
			work <- c
		}
		close(work)
		wg.Wait()
	}
}
