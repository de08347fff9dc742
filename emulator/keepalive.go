package emulator

import "time"

// keepAlive pings every attached connection each KeepAliveInterval while the emulator has
// connections; a connection that does not answer within the interval is dropped (a reliable
// one stays recoverable). One sweeping goroutine serves all connections, so an idle
// connection holds no timer or goroutine of its own between sweeps.
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
		// One short-lived goroutine per ping: a healthy client answers within
		// milliseconds; an unresponsive one holds its goroutine until the interval ends
		// and is then dropped, without delaying the pings of others.
		for _, c := range conns {
			go c.ping()
		}
	}
}
