// Package e2e holds the project's end-to-end tests; it has no API of its own.
//
// # What runs
//
//   - TestReadmeRunCommand copies the repository's tracked files into a temporary folder
//     (a clean clone), runs the chat example with the README's run command exactly as written,
//     waits for the line with the URL to open, fetches the page, negotiates a client access
//     URL and connects a WebSocket to it.
//   - TestBrowserChat drives headless Chromium (Debian's chromium package) with chromedp
//     against the same running example: two pages join a room, one sends, the other shows the
//     message with the sender's name; the terminal client (examples/client, run with go run)
//     joins the same room and exchanges messages with the pages; a third page is rejected at
//     connect and shows why.
//
// # Gating
//
// Without a Chromium binary the browser test is skipped, unless CI or WEBPUBSUB_INTEROP is
// set (scripts/test.sh sets WEBPUBSUB_INTEROP), in which case it fails. Set CHROMIUM to use
// another binary.
//
// # Artifacts
//
// When a browser test fails, a screenshot and the HTML of every page are written to
// e2e/artifacts/ (or to the folder named by WEBPUBSUB_E2E_ARTIFACTS), together with the
// example's output. Set WEBPUBSUB_E2E_ARTIFACTS_ALWAYS=1 to write them after a pass too.
package e2e
