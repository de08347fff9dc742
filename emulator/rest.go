package emulator

import "net/http"

func (e *Emulator) serveREST(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
