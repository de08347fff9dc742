package odata_test

import (
	"fmt"

	"github.com/webpubsub-go/webpubsub/internal/odata"
)

func ExampleParse() {
	f, err := odata.Parse("userId in ('alice', 'bob') and not ('muted' in groups)")
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Match(odata.Target{ConnectionID: "c1", UserID: "alice", Groups: []string{"lobby"}}))
	fmt.Println(f.Match(odata.Target{ConnectionID: "c2", UserID: "bob", Groups: []string{"muted"}}))
	fmt.Println(f.Match(odata.Target{ConnectionID: "c3"}))
	fmt.Println(f)

	_, err = odata.Parse("invalid filter")
	fmt.Println(err)
	// Output:
	// true
	// false
	// false
	// (userId in ('alice', 'bob')) and (not ('muted' in groups))
	// Invalid syntax for 'invalid filter': Syntax error at position 14 in 'invalid filter'.
}
