package odata

// vtype is the static type of an expression.
type vtype uint8

const (
	tNull vtype = iota
	tBool
	tInt
	tString
	tCollection
)

func (t vtype) String() string {
	switch t {
	case tNull:
		return "null"
	case tBool:
		return "bool"
	case tInt:
		return "int"
	case tString:
		return "string"
	case tCollection:
		return "collection"
	}
	return "unknown"
}

// opcode is the kind of an expression node.
type opcode uint8

const (
	opLit opcode = iota
	opIdent
	opNot
	opAnd
	opOr
	opCmp
	opInList
	opInCollection
	opCall
)

// ident names a connection property.
type ident uint8

const (
	identConnectionID ident = iota
	identUserID
	identGroups
)

var identNames = [...]string{identConnectionID: "connectionId", identUserID: "userId", identGroups: "groups"}

// value is a runtime value; t is tNull for null.
type value struct {
	t vtype
	s string
	i int64
	b bool
}

// node is one expression; args holds operands (binary: left, right; in: lhs then list).
type node struct {
	op   opcode
	typ  vtype
	lit  value  // opLit
	id   ident  // opIdent
	cmp  string // opCmp: eq ne gt ge lt le
	fn   string // opCall
	args []*node
}

func (n *node) atomic() bool { return n.op == opLit || n.op == opIdent || n.op == opCall }

// comparison operators.
var cmpOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

// keywords that cannot start a primary expression.
var reserved = map[string]bool{
	"and": true, "or": true, "not": true, "in": true,
	"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true,
}

// funcSig describes a built-in function: argument types (tString also accepts null) and
// the result type; length accepts a string or a collection.
type funcSig struct {
	args    []vtype
	minArgs int
	result  vtype
}

var funcs = map[string]funcSig{
	"tolower":    {args: []vtype{tString}, minArgs: 1, result: tString},
	"toupper":    {args: []vtype{tString}, minArgs: 1, result: tString},
	"trim":       {args: []vtype{tString}, minArgs: 1, result: tString},
	"substring":  {args: []vtype{tString, tInt, tInt}, minArgs: 2, result: tString},
	"concat":     {args: []vtype{tString, tString}, minArgs: 2, result: tString},
	"indexof":    {args: []vtype{tString, tString}, minArgs: 2, result: tInt},
	"length":     {args: []vtype{tString}, minArgs: 1, result: tInt},
	"startswith": {args: []vtype{tString, tString}, minArgs: 2, result: tBool},
	"endswith":   {args: []vtype{tString, tString}, minArgs: 2, result: tBool},
	"contains":   {args: []vtype{tString, tString}, minArgs: 2, result: tBool},
}
