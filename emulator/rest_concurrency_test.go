package emulator

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestRESTConcurrentOperations runs REST operations from 8 goroutines at once against live
// clients that keep reading (bounded: 8 × 40 calls). Every call must get its documented
// status; run with -race it also checks the hub state operations for data races.
func TestRESTConcurrentOperations(t *testing.T) {
	env := newRESTEnv(t, Config{})
	var clients []*restClient
	for i := range 8 {
		clients = append(clients, env.connect(fmt.Sprintf("u%d", i%4), []string{"all"}, nil))
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var readers sync.WaitGroup
	for _, c := range clients {
		readers.Go(func() {
			for {
				if _, _, err := c.ws.Read(ctx); err != nil {
					return
				}
			}
		})
	}
	type op struct {
		method, path, query, ct, body string
		want                          int
	}
	ops := func(i int) []op {
		c := clients[i%len(clients)].id
		g := fmt.Sprintf("g%d", i%3)
		return []op{
			{http.MethodPost, "/:send", "", "text/plain", "x", 202},
			{http.MethodPost, "/:send", "filter=" + url.QueryEscape("'"+g+"' in groups"), "application/json", `{"i":1}`, 202},
			{http.MethodPost, "/groups/" + g + "/:send", "excluded=" + c, "text/plain", "y", 202},
			{http.MethodPost, "/users/u1/:send", "", "application/octet-stream", "z", 202},
			{http.MethodPut, "/groups/" + g + "/connections/" + c, "", "", "", 200},
			{http.MethodDelete, "/groups/" + g + "/connections/" + c, "", "", "", 204},
			{http.MethodPost, "/:addToGroups", "", "application/json", `{"groups":["` + g + `"],"filter":"userId eq 'u2'"}`, 200},
			{http.MethodPost, "/:removeFromGroups", "", "application/json", `{"groups":["` + g + `"]}`, 200},
			{http.MethodDelete, "/users/u3/groups", "", "", "", 204},
			{http.MethodGet, "/groups/all/connections", "maxpagesize=3", "", "", 200},
			{http.MethodPut, "/permissions/sendToGroup/connections/" + c, "targetName=" + g, "", "", 200},
			{http.MethodDelete, "/permissions/sendToGroup/connections/" + c, "targetName=" + g, "", "", 204},
			{http.MethodHead, "/groups/all", "", "", "", 200},
			{http.MethodPost, "/:generateToken", "userId=x", "", "", 200},
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*40)
	for w := range 8 {
		wg.Go(func() {
			list := ops(w)
			for i := range 40 {
				o := list[(w+i)%len(list)]
				u := env.srv.URL() + env.api(o.path, o.query)
				resp := env.callWith(o.method, u, o.ct, []byte(o.body), http.Header{"Authorization": {"Bearer " + restToken(t, restTestKey, u, time.Hour)}})
				if resp.status != o.want {
					errs <- fmt.Sprintf("%s %s: %d, want %d (%s)", o.method, o.path, resp.status, o.want, resp.body)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// Every client is still connected and reachable.
	for _, c := range clients {
		if st, _ := env.head("/connections/"+c.id, ""); st != http.StatusOK {
			t.Errorf("client %s: HEAD = %d after the concurrent calls, want 200", c.id, st)
		}
	}
	cancel()
	for _, c := range clients {
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
	}
	readers.Wait()
}
