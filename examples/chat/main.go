// Command chat is a chat backend on Azure Web PubSub with a web page: the Echo app handles the
// service's upstream events through the webpubsub middleware and answers through the hub's
// bundled service client.
//
// Without AZURE_WEBPUBSUB_CONNECTION_STRING it starts the emulator in-process and points the
// emulator's hub at itself, so
//
//	go run ./examples/chat
//
// is a working chat on http://127.0.0.1:8080/. See README.md in this folder for the settings.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/webpubsub-go/webpubsub/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.LookupEnv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

// run reads the configuration from lookupEnv (os.LookupEnv), starts the app, prints the URL to open on stdout
// and serves until ctx ends.
func run(ctx context.Context, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	cfg, err := configFromEnv(lookupEnv)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := newServer(ctx, cfg)
	if err != nil {
		return err
	}
	if s.emulator != nil {
		fmt.Fprintf(stdout, "chat: hub %q on the embedded emulator at %s\n", cfg.Hub, s.emulator.URL())
	} else {
		settings := service.HubSettings{Hub: cfg.Hub, EventHandlers: []service.EventHandler{
			s.hub.EventHandler("https://<your-app-host>/api/webpubsub/hubs/{hub}/{event}"),
		}}
		fmt.Fprintf(stdout, "chat: hub %q on %s; the service must reach this app, e.g. with:\n  %s\n",
			cfg.Hub, serviceEndpoint(cfg.ConnectionString), settings.AzCLICommand("<resource-group>", "<resource-name>"))
	}
	fmt.Fprintf(stdout, "chat: ready, open %s in a browser\n", s.url)
	return s.serve(ctx)
}

// configFromEnv reads the settings listed in README.md.
func configFromEnv(lookupEnv func(string) (string, bool)) (config, error) {
	getenv := func(k string) string { v, _ := lookupEnv(k); return v }
	cfg := config{
		Hub:              getenv("AZURE_WEBPUBSUB_HUB"),
		ConnectionString: getenv("AZURE_WEBPUBSUB_CONNECTION_STRING"),
		Host:             getenv("HOST"),
		Port:             8080,
		Banned:           []string{"mallory"},
	}
	if cfg.Hub == "" {
		cfg.Hub = "chat"
	}
	if p := getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return config{}, fmt.Errorf("PORT=%q is not a TCP port number", p)
		}
		cfg.Port = n
	}
	if b, ok := lookupEnv("CHAT_BANNED"); ok { // set but empty: nobody is banned
		cfg.Banned = nil
		for name := range strings.SplitSeq(b, ",") {
			if name = strings.TrimSpace(name); name != "" {
				cfg.Banned = append(cfg.Banned, strings.ToLower(name))
			}
		}
	}
	return cfg, nil
}

// serviceEndpoint returns the endpoint of a connection string, for the start-up line.
func serviceEndpoint(cs string) string {
	parsed, err := service.ParseConnectionString(cs)
	if err != nil {
		return "(unparsable connection string)"
	}
	return parsed.Endpoint
}
