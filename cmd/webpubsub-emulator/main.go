// Command webpubsub-emulator runs a local Azure Web PubSub service (package emulator) for
// development, tests and CI.
//
// Usage:
//
//	webpubsub-emulator [flags]
//
// Flags (each has an environment variable used when the flag is not given):
//
//	-addr host:port     listen address (WEBPUBSUB_EMULATOR_ADDR; default 127.0.0.1:7071)
//	-port n             shorthand for -addr 127.0.0.1:n (WEBPUBSUB_EMULATOR_PORT)
//	-endpoint url       public base URL clients use (WEBPUBSUB_EMULATOR_ENDPOINT; default
//	                    http://<addr>, with 127.0.0.1 for an unspecified host)
//	-key key            access key (WEBPUBSUB_EMULATOR_ACCESS_KEY; default the documented
//	                    development key emulator.DefaultAccessKey)
//	-event-handler spec hub event handler, repeatable (WEBPUBSUB_EMULATOR_EVENT_HANDLERS,
//	                    specs separated by whitespace); spec is
//	                    hub=urlTemplate[;user-events=P][;system-events=a,b][;presence-events=a,b]
//	                    with defaults user-events=* and
//	                    system-events=connect,connected,disconnected
//	-anonymous hubs     comma-separated hubs that allow anonymous connections
//	                    (WEBPUBSUB_EMULATOR_ANONYMOUS)
//	-config file        JSON file with an array of hub settings
//	                    ([{"Hub":"chat","AllowAnonymous":true,"EventHandlers":[{"URLTemplate":...,
//	                    "UserEventPattern":"*","SystemEvents":["connect"]}]}])
//	                    (WEBPUBSUB_EMULATOR_CONFIG)
//	-log-level level    debug, info, warn or error (WEBPUBSUB_EMULATOR_LOG_LEVEL; default info)
//
// On start it prints the connection string and then the line
// "webpubsub-emulator ready on <endpoint>" to standard output; logs go to standard error.
// It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "webpubsub-emulator:", err)
		os.Exit(1)
	}
}
