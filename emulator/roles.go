package emulator

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// Permission names, as the REST permission API and the role strings spell them.
const (
	permSendToGroup    = "sendToGroup"
	permJoinLeaveGroup = "joinLeaveGroup"
)

const rolePrefix = "webpubsub."

// maxPatternStars is the largest number of '*' a wildcard group role may hold; roles with more
// grant nothing.
const maxPatternStars = 5

type grantKey struct{ perm, group string }

// permissions is what a connection may do: its roles (token role claims and the connect
// answer) and the grants made through the REST API. Safe for concurrent use.
type permissions struct {
	mu     sync.Mutex
	roles  []string
	grants map[grantKey]struct{}
}

func (p *permissions) addRoles(roles []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roles = append(p.roles, roles...)
}

func (p *permissions) grant(perm, group string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.grants == nil {
		p.grants = make(map[grantKey]struct{})
	}
	p.grants[grantKey{perm, group}] = struct{}{}
}

func (p *permissions) revoke(perm, group string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.grants, grantKey{perm, group})
	literal := rolePrefix + perm
	if group != "" {
		literal += "." + group
	}
	kept := p.roles[:0]
	for _, r := range p.roles {
		if r != literal {
			kept = append(kept, r)
		}
	}
	p.roles = kept
}

// allowed reports whether perm may be used on group; group "" asks for every group.
func (p *permissions) allowed(perm, group string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.grants[grantKey{perm, ""}]; ok {
		return true
	}
	if group != "" {
		if _, ok := p.grants[grantKey{perm, group}]; ok {
			return true
		}
	}
	for _, r := range p.roles {
		if roleAllows(r, perm, group) {
			return true
		}
	}
	return false
}

// roleAllows reports whether role grants perm on group (group "" = every group):
// webpubsub.<perm>, webpubsub.<perm>.<group> and webpubsub.<perm>s.<pattern>.
func roleAllows(role, perm, group string) bool {
	rest, ok := strings.CutPrefix(role, rolePrefix+perm)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	if group == "" {
		return false
	}
	if name, ok := strings.CutPrefix(rest, "."); ok {
		return name == group
	}
	if pattern, ok := strings.CutPrefix(rest, "s."); ok {
		return matchGroupPattern(pattern, group)
	}
	return false
}

// matchGroupPattern matches group against a wildcard group-role pattern: '?' one character
// other than '.', '*' any run without '.', '**' any run, '\' escapes '\', '*' and '?'. A
// pattern with more than maxPatternStars '*' or a dangling '\' matches nothing.
func matchGroupPattern(pattern, group string) bool {
	if strings.Count(pattern, "*") > maxPatternStars {
		return false
	}
	return matchFrom(pattern, group)
}

func matchFrom(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			deep := strings.HasPrefix(p, "**")
			rest := p[1:]
			if deep {
				rest = p[2:]
			}
			for i := 0; i <= len(s); i++ {
				if matchFrom(rest, s[i:]) {
					return true
				}
				if i < len(s) && s[i] == '.' && !deep {
					return false
				}
			}
			return false
		case '?':
			if len(s) == 0 || s[0] == '.' {
				return false
			}
			_, size := utf8.DecodeRuneInString(s)
			p, s = p[1:], s[size:]
		case '\\':
			if len(p) < 2 || len(s) == 0 || s[0] != p[1] {
				return false
			}
			p, s = p[2:], s[1:]
		default:
			if len(s) == 0 || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return len(s) == 0
}
