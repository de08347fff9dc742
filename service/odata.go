package service

import "strings"

// ODataString returns s as an OData string literal for filters: in single quotes, with
// each embedded quote doubled (the JS SDK's odata template helper does the same). Use it
// for values that come from users:
//
//	filter := "userId eq " + service.ODataString(userID) + " and 'vip' in groups"
func ODataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
