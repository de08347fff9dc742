package emulator

import "testing"

func TestMatchGroupPattern(t *testing.T) {
	tests := []struct {
		pattern, group string
		want           bool
	}{
		{"chat-*", "chat-1", true},
		{"chat-*", "chat.1", false},
		{"chat-*", "chat-", true},
		{"clientA.*", "clientA.alpha", true},
		{"clientA.*", "clientA.alpha.room1", false},
		{"clientA.**", "clientA.alpha", true},
		{"clientA.**", "clientA.alpha.room1", true},
		{"clientA.rooms.?1", "clientA.rooms.a1", true},
		{"clientA.rooms.?1", "clientA.rooms.ab1", false},
		{"clientA.rooms.?1", "clientA.rooms..1", false},
		{"?", "é", true},
		{`literal\*star`, "literal*star", true},
		{`literal\*star`, "literalXstar", false},
		{`a\`, "a", false},
		{"*.*.*", "a.b.c", true},
		{"**", "", true},
		{"*a*b*c*d*e*f", "abcdef", false}, // six stars: invalid, grants nothing
		{"a*b*c*d*e", "abcde", true},
		{"x", "y", false},
	}
	for _, tt := range tests {
		if got := matchGroupPattern(tt.pattern, tt.group); got != tt.want {
			t.Errorf("matchGroupPattern(%q, %q) = %v, want %v", tt.pattern, tt.group, got, tt.want)
		}
	}
}

func TestPermissions(t *testing.T) {
	tests := []struct {
		name   string
		roles  []string
		grants [][2]string
		revoke [][2]string
		perm   string
		group  string
		want   bool
	}{
		{"no roles", nil, nil, nil, permSendToGroup, "g", false},
		{"global role", []string{"webpubsub.sendToGroup"}, nil, nil, permSendToGroup, "g", true},
		{"global role, all groups", []string{"webpubsub.sendToGroup"}, nil, nil, permSendToGroup, "", true},
		{"other permission", []string{"webpubsub.sendToGroup"}, nil, nil, permJoinLeaveGroup, "g", false},
		{"group role", []string{"webpubsub.joinLeaveGroup.g"}, nil, nil, permJoinLeaveGroup, "g", true},
		{"group role with dots", []string{"webpubsub.joinLeaveGroup.a.b"}, nil, nil, permJoinLeaveGroup, "a.b", true},
		{"group role, other group", []string{"webpubsub.joinLeaveGroup.g"}, nil, nil, permJoinLeaveGroup, "h", false},
		{"group role, all groups", []string{"webpubsub.joinLeaveGroup.g"}, nil, nil, permJoinLeaveGroup, "", false},
		{"wildcard role", []string{"webpubsub.sendToGroups.room-*"}, nil, nil, permSendToGroup, "room-1", true},
		{"wildcard role mismatch", []string{"webpubsub.sendToGroups.room-*"}, nil, nil, permSendToGroup, "lobby", false},
		{"grant", nil, [][2]string{{permSendToGroup, "g"}}, nil, permSendToGroup, "g", true},
		{"grant all groups", nil, [][2]string{{permSendToGroup, ""}}, nil, permSendToGroup, "x", true},
		{"grant revoked", nil, [][2]string{{permSendToGroup, "g"}}, [][2]string{{permSendToGroup, "g"}}, permSendToGroup, "g", false},
		{"literal role revoked", []string{"webpubsub.sendToGroup.g"}, nil, [][2]string{{permSendToGroup, "g"}}, permSendToGroup, "g", false},
		{"prefix look-alike", []string{"webpubsub.sendToGroupX"}, nil, nil, permSendToGroup, "g", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p permissions
			p.addRoles(tt.roles)
			for _, g := range tt.grants {
				p.grant(g[0], g[1])
			}
			for _, r := range tt.revoke {
				p.revoke(r[0], r[1])
			}
			if got := p.allowed(tt.perm, tt.group); got != tt.want {
				t.Errorf("allowed(%q, %q) = %v, want %v", tt.perm, tt.group, got, tt.want)
			}
		})
	}
}
