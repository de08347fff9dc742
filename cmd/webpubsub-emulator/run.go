package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/service"
)

// options are the parsed flags and environment.
type options struct {
	addr      string
	endpoint  string
	key       string
	handlers  []string
	anonymous string
	config    string
	logLevel  string
	// insecureBearer accepts Microsoft Entra ID tokens on the REST API without verifying
	// them (emulator.Config.InsecureAcceptBearerTokens).
	insecureBearer bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseOptions reads args, falling back to env for flags that were not given.
func parseOptions(args []string, env func(string) string, stderr io.Writer) (options, error) {
	var o options
	var port int
	var handlers multiFlag
	fs := flag.NewFlagSet("webpubsub-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "", "listen address (default 127.0.0.1:7071)")
	fs.IntVar(&port, "port", 0, "shorthand for -addr 127.0.0.1:PORT")
	fs.StringVar(&o.endpoint, "endpoint", "", "public base URL (default http://ADDR)")
	fs.StringVar(&o.key, "key", "", "access key (default the public development key)")
	fs.Var(&handlers, "event-handler", "hub=urlTemplate[;user-events=P][;system-events=a,b][;presence-events=a,b], repeatable")
	fs.StringVar(&o.anonymous, "anonymous", "", "comma-separated hubs allowing anonymous connections")
	fs.StringVar(&o.config, "config", "", "JSON file with an array of hub settings")
	fs.StringVar(&o.logLevel, "log-level", "", "debug, info, warn or error (default info)")
	fs.BoolVar(&o.insecureBearer, "insecure-accept-bearer-tokens", false,
		"INSECURE: accept Microsoft Entra ID bearer tokens on the REST API WITHOUT verifying their signature (aud https://webpubsub.azure.com, exp current); loopback development only")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fromEnv := func(name, key string, dst *string) {
		if !set[name] {
			if v := env(key); v != "" {
				*dst = v
			}
		}
	}
	fromEnv("addr", "WEBPUBSUB_EMULATOR_ADDR", &o.addr)
	fromEnv("endpoint", "WEBPUBSUB_EMULATOR_ENDPOINT", &o.endpoint)
	fromEnv("key", "WEBPUBSUB_EMULATOR_ACCESS_KEY", &o.key)
	fromEnv("anonymous", "WEBPUBSUB_EMULATOR_ANONYMOUS", &o.anonymous)
	fromEnv("config", "WEBPUBSUB_EMULATOR_CONFIG", &o.config)
	fromEnv("log-level", "WEBPUBSUB_EMULATOR_LOG_LEVEL", &o.logLevel)
	if !set["insecure-accept-bearer-tokens"] {
		if v := env("WEBPUBSUB_EMULATOR_INSECURE_ACCEPT_BEARER_TOKENS"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, fmt.Errorf("WEBPUBSUB_EMULATOR_INSECURE_ACCEPT_BEARER_TOKENS: %w", err)
			}
			o.insecureBearer = b
		}
	}
	if !set["port"] && !set["addr"] && o.addr == "" {
		if v := env("WEBPUBSUB_EMULATOR_PORT"); v != "" {
			p, err := strconv.Atoi(v)
			if err != nil {
				return o, fmt.Errorf("WEBPUBSUB_EMULATOR_PORT: %w", err)
			}
			port = p
		}
	}
	if port != 0 {
		if port < 0 || port > 65535 {
			return o, fmt.Errorf("port %d out of range", port)
		}
		o.addr = "127.0.0.1:" + strconv.Itoa(port)
	}
	if o.addr == "" {
		o.addr = "127.0.0.1:7071"
	}
	o.handlers = handlers
	if !set["event-handler"] {
		o.handlers = strings.Fields(env("WEBPUBSUB_EMULATOR_EVENT_HANDLERS"))
	}
	if o.logLevel == "" {
		o.logLevel = "info"
	}
	return o, nil
}

// parseHandler parses hub=urlTemplate[;user-events=P][;system-events=a,b][;presence-events=a,b].
func parseHandler(spec string) (string, service.EventHandler, error) {
	hub, rest, ok := strings.Cut(spec, "=")
	if !ok || hub == "" || rest == "" {
		return "", service.EventHandler{}, fmt.Errorf("event handler %q: want hub=urlTemplate[;options]", spec)
	}
	parts := strings.Split(rest, ";")
	h := service.EventHandler{
		URLTemplate:      parts[0],
		UserEventPattern: "*",
		SystemEvents:     []string{service.EventConnect, service.EventConnected, service.EventDisconnected},
	}
	if !strings.HasPrefix(h.URLTemplate, "http://") && !strings.HasPrefix(h.URLTemplate, "https://") {
		return "", h, fmt.Errorf("event handler %q: the URL template must start with http:// or https://", spec)
	}
	list := func(v string) []string {
		var out []string
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch strings.TrimSpace(k) {
		case "user-events":
			h.UserEventPattern = strings.TrimSpace(v)
		case "system-events":
			h.SystemEvents = list(v)
			for _, e := range h.SystemEvents {
				if !slices.Contains([]string{service.EventConnect, service.EventConnected, service.EventDisconnected}, e) {
					return "", h, fmt.Errorf("event handler %q: unknown system event %q", spec, e)
				}
			}
		case "presence-events":
			h.GroupPresenceEvents = list(v)
			for _, e := range h.GroupPresenceEvents {
				if e != service.EventJoined && e != service.EventLeft {
					return "", h, fmt.Errorf("event handler %q: unknown presence event %q", spec, e)
				}
			}
		default:
			return "", h, fmt.Errorf("event handler %q: unknown option %q", spec, k)
		}
	}
	return hub, h, nil
}

// hubSettings combines the config file, -event-handler and -anonymous.
func hubSettings(o options) ([]service.HubSettings, error) {
	var hubs []service.HubSettings
	if o.config != "" {
		b, err := os.ReadFile(o.config)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &hubs); err != nil {
			return nil, fmt.Errorf("config %s: %w", o.config, err)
		}
	}
	find := func(name string) *service.HubSettings {
		for i := range hubs {
			if strings.EqualFold(hubs[i].Hub, name) {
				return &hubs[i]
			}
		}
		hubs = append(hubs, service.HubSettings{Hub: name})
		return &hubs[len(hubs)-1]
	}
	for _, spec := range o.handlers {
		name, h, err := parseHandler(spec)
		if err != nil {
			return nil, err
		}
		s := find(name)
		s.EventHandlers = append(s.EventHandlers, h)
	}
	for name := range strings.SplitSeq(o.anonymous, ",") {
		if name = strings.TrimSpace(name); name != "" {
			find(name).AllowAnonymous = true
		}
	}
	return hubs, nil
}

// run starts the emulator and serves until ctx ends.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, env, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	hubs, err := hubSettings(o)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	endpoint := o.endpoint
	if endpoint == "" {
		host, port, _ := net.SplitHostPort(ln.Addr().String())
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		endpoint = "http://" + net.JoinHostPort(host, port)
	}
	emu, err := emulator.New(&emulator.Config{Endpoint: endpoint, AccessKey: o.key, Hubs: hubs, Logger: logger,
		InsecureAcceptBearerTokens: o.insecureBearer})
	if err != nil {
		return err
	}
	if o.insecureBearer {
		logger.Warn("INSECURE: -insecure-accept-bearer-tokens is on: the REST API accepts Microsoft Entra ID tokens WITHOUT verifying their signature; anyone reaching " + endpoint + " can forge one")
	}
	for _, h := range hubs {
		logger.Info("hub configured", "hub", h.Hub, "anonymous", h.AllowAnonymous, "eventHandlers", len(h.EventHandlers),
			"azureEquivalent", h.AzCLICommand("<resource-group>", "<resource-name>"))
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintln(stdout, emu.ConnectionString())
	fmt.Fprintln(stdout, "webpubsub-emulator ready on "+endpoint)
	select {
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		emu.Shutdown()
		logger.Info("stopped")
		return nil
	case err := <-errc:
		return err
	}
}
