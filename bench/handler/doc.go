// Package handlerbench holds the in-process benchmark of the full upstream path through
// net/http (BenchmarkPipe) and, in ab.sh, the A/B HTTP load run of the hub against an
// older commit. Results and commands: RESULTS.md. The per-event cost inside the hub is
// BenchmarkHub in the handler package; the wrk load run is in ../handler-http.
package handlerbench
