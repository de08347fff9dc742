package emulator

import "net/http"

func (e *Emulator) release()                            {}
func (c *conn) groupPresence(group string, joined bool) {}
func (c *conn) disconnected(reason string)              {}
func (e *Emulator) serveClient(w http.ResponseWriter, r *http.Request, hub string) {
	http.Error(w, "not implemented yet", http.StatusNotImplemented)
}
