package wire

import "testing"

// Test vector from the .NET handler's tests (see ../shared/spec/upstream-events.md §5).
const (
	vectorKey  = "7aab239577fd4f24bc919802fb629f5f"
	vectorConn = "0f9c97a2f0bf4706afe87a14e0797b11"
	vectorSig  = "sha256=7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561"
)

func TestSignatureValue(t *testing.T) {
	if got := SignatureValue(vectorKey, vectorConn); got != vectorSig {
		t.Fatalf("SignatureValue = %q, want %q", got, vectorSig)
	}
	if got, want := Sign(vectorConn, vectorKey, "other"), vectorSig+","+SignatureValue("other", vectorConn); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	upper := "sha256=7767EFFCB3946F3E1DE039DF4B986EF02C110B1469D02C0A06F41B3B727AB561"
	tests := []struct {
		name   string
		header string
		conn   string
		keys   []string
		want   bool
	}{
		{"exact", vectorSig, vectorConn, []string{vectorKey}, true},
		{"upper hex", upper, vectorConn, []string{vectorKey}, true},
		{"second entry with space", "sha256=00, " + vectorSig, vectorConn, []string{vectorKey}, true},
		{"second key", vectorSig, vectorConn, []string{"wrong", vectorKey}, true},
		{"empty entries", ",," + vectorSig + ",", vectorConn, []string{vectorKey}, true},
		{"wrong key", vectorSig, vectorConn, []string{"wrong"}, false},
		{"wrong connection", vectorSig, "other", []string{vectorKey}, false},
		{"empty header", "", vectorConn, []string{vectorKey}, false},
		{"no keys", vectorSig, vectorConn, nil, false},
		{"no prefix", vectorSig[len("sha256="):], vectorConn, []string{vectorKey}, false},
		{"prefix only", "sha256=", vectorConn, []string{vectorKey}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(tt.header, tt.conn, tt.keys); got != tt.want {
				t.Errorf("VerifySignature(%q, %q, %v) = %v, want %v", tt.header, tt.conn, tt.keys, got, tt.want)
			}
		})
	}
}

func FuzzSignature(f *testing.F) {
	f.Add(vectorSig, vectorConn, vectorKey)
	f.Add("sha256=a, sha256=b,,", "c", "k")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, header, conn, key string) {
		_ = ParseSignature(header)
		// A signature we produce always verifies, alone or among others.
		if !VerifySignature(header+","+Sign(conn, key), conn, []string{key}) {
			t.Fatalf("own signature did not verify: key %q conn %q", key, conn)
		}
		// An arbitrary header verifies only if it contains the exact value.
		if VerifySignature(header, conn, []string{key}) {
			found := false
			want := SignatureValue(key, conn)
			for _, e := range ParseSignature(header) {
				if len(e) == len(want) && equalFold(e, want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("VerifySignature(%q) = true without a matching entry", header)
			}
		}
	})
}

func equalFold(a, b string) bool {
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
