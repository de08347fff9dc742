// Package clientbench measures the throughput of the Go client (package client) through the
// emulator, side by side with the official JavaScript client @azure/web-pubsub-client on the
// same emulator in the same run. See RESULTS.md for the numbers and how to reproduce them.
package clientbench
