package odata

import "testing"

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"userId eq 'user1'",
		"'group1' in groups or 'group2' in groups",
		"userId in ('u1','u2') and 'g1' in groups",
		"userId eq 'user1' and connectionId ne '123'",
		"userId eq 'user1' and (not ('group1' in groups))",
		"not length(userId) gt 5",
		"length(userId) le 10 and length(userId) gt 3",
		"substring(tolower(userId), 1, 2) eq concat('a', trim(' b '))",
		"indexof(userId, 'x') ge -1 and startswith(userId,'a') eq true",
		"userId eq 'o''neil' or userId eq null",
		"invalid filter",
		"((((",
		"'",
		"userId eq 'ä'",
		"-",
		"+1 eq -1",
	} {
		f.Add(s)
	}
	targets := []Target{anon, user1, user2, quoted}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error text", s)
			}
			return
		}
		canon := flt.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q does not parse: %v", s, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("String not stable: %q -> %q", canon, again.String())
		}
		for _, tg := range targets {
			if flt.Match(tg) != again.Match(tg) {
				t.Fatalf("%q and its canonical form %q disagree on %+v", s, canon, tg)
			}
		}
	})
}
