// Package odata parses and evaluates the OData filter expressions of the Azure Web PubSub
// data-plane API: the `filter` query parameter of the send operations and the `filter`
// property of the `:addToGroups`/`:removeFromGroups` bodies.
//
// # Grammar
//
// A filter is a boolean expression over one connection:
//
//   - identifiers `connectionId` (string), `userId` (string, null for anonymous
//     connections) and `groups` (the collection of the connection's groups); their names
//     match case-insensitively, as the service documents;
//   - literals: strings in single quotes (an embedded quote is written twice, see the
//     example below), integers with an optional sign, `true`, `false`, `null`;
//   - comparisons `eq`, `ne`, `gt`, `ge`, `lt`, `le`; logical `and`, `or`, `not`;
//   - membership `x in ('a', 'b')` and `'g' in groups` (also `'g' in (groups)`);
//   - functions `tolower`, `toupper`, `trim`, `substring(s, start[, length])`,
//     `concat(a, b)`, `indexof(s, sub)`, `length(s)`, `length(groups)`, and the boolean
//     `startswith`, `endswith`, `contains`;
//   - parentheses.
//
// For example:
//
//	userId eq 'o''neil' and ('lobby' in groups or startswith(connectionId, 'x'))
//
// Precedence from high to low is `not`, comparisons and `in`, `and`, `or`; so
// `not length(userId) gt 5` is a type error (`not` applies to `length(userId)`), as on the
// service. Keywords and function names are lower case. String positions and lengths count
// Unicode code points; string comparison is ordinal and case-sensitive.
//
// # Errors
//
// [Parse] returns a [*SyntaxError] carrying the offending position; its Error text follows
// the service's wording ("Syntax error at position 14 in 'invalid filter'."). The limits
// [MaxLength], [MaxDepth] and [MaxClauses] bound the work one filter can cause.
//
// # Evaluation
//
// [Filter.Match] evaluates a parsed filter against a [Target]. A Filter is immutable and
// safe for concurrent use. [Filter.String] prints a canonical, fully parenthesised form
// that parses back to the same filter.
package odata
