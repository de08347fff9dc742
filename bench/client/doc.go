// Package clientbench measures the throughput of the Go client (package client) through the
// emulator, side by side with the official JavaScript client @azure/web-pubsub-client on the
// same emulator in the same run. See RESULTS.md for the numbers and how to reproduce them.
//
// TestPlacement (opt-in, Linux, taskset) shows where the two modes of the acked rate come
// from: the same client is measured with its process on the emulator's CPU and on another
// one, next to a bare TCP ping-pong (command pingpong) between the same two processes.
package clientbench
