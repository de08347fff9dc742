package service

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseConnectionString(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ConnectionString
		wantErr string // substring of the error; "" = no error
	}{
		{name: "portal form", in: "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=" + testKey + ";Version=1.0;",
			want: ConnectionString{Endpoint: "https://contoso.webpubsub.azure.com", AccessKey: testKey, Version: "1.0"}},
		{name: "port applied", in: "Endpoint=http://localhost;Port=8080;AccessKey=k;Version=1.0;",
			want: ConnectionString{Endpoint: "http://localhost:8080", AccessKey: "k", Version: "1.0", Port: 8080}},
		{name: "port replaces endpoint port", in: "Endpoint=http://127.0.0.1:1234/;Port=7071;AccessKey=k",
			want: ConnectionString{Endpoint: "http://127.0.0.1:7071", AccessKey: "k", Port: 7071}},
		{name: "case-insensitive keys, spaces trimmed, empty segments", in: " endpoint = HTTPS://A.example/ ;; accesskey= k= ;VERSION=1.0",
			want: ConnectionString{Endpoint: "https://a.example", AccessKey: "k=", Version: "1.0"}},
		{name: "client endpoint extension", in: "Endpoint=http://emulator:7071;AccessKey=k;ClientEndpoint=http://localhost:7071/",
			want: ConnectionString{Endpoint: "http://emulator:7071", AccessKey: "k", ClientEndpoint: "http://localhost:7071"}},
		{name: "unknown keys ignored", in: "Endpoint=https://a.example;AccessKey=k;AuthType=aad",
			want: ConnectionString{Endpoint: "https://a.example", AccessKey: "k"}},
		{name: "ipv6 with port", in: "Endpoint=http://[::1];Port=9;AccessKey=k",
			want: ConnectionString{Endpoint: "http://[::1]:9", AccessKey: "k", Port: 9}},
		{name: "empty", in: "", wantErr: "Endpoint is missing"},
		{name: "no endpoint", in: "AccessKey=k", wantErr: "Endpoint is missing"},
		{name: "no key", in: "Endpoint=https://a.example", wantErr: "AccessKey is missing"},
		{name: "segment without =", in: "Endpoint=https://a.example;" + testKey, wantErr: "segment 2 has no '='"},
		{name: "duplicate", in: "Endpoint=https://a.example;AccessKey=k;accesskey=k2", wantErr: `duplicate key "accesskey"`},
		{name: "no scheme", in: "Endpoint=a.example;AccessKey=k", wantErr: "scheme must be http or https"},
		{name: "ws scheme", in: "Endpoint=wss://a.example;AccessKey=k", wantErr: "scheme must be http or https"},
		{name: "bad port", in: "Endpoint=https://a.example;Port=70000;AccessKey=k", wantErr: "Port \"70000\""},
		{name: "port zero", in: "Endpoint=https://a.example;Port=0;AccessKey=k", wantErr: "Port"},
		{name: "query", in: "Endpoint=https://a.example/?x=1;AccessKey=k", wantErr: "query"},
		{name: "user info", in: "Endpoint=https://u:p@a.example;AccessKey=k", wantErr: "user info"},
		{name: "bad client endpoint", in: "Endpoint=https://a.example;AccessKey=k;ClientEndpoint=ftp://x", wantErr: "ClientEndpoint"},
		{name: "empty key name", in: "=x;Endpoint=https://a.example;AccessKey=k", wantErr: "empty key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConnectionString(tc.in)
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInvalidConnectionString) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseConnectionString(%q) error = %v, want one wrapping ErrInvalidConnectionString containing %q", tc.in, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testKey) {
					t.Errorf("error %q echoes the key", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseConnectionString(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestConnectionStringRedaction(t *testing.T) {
	cs, err := ParseConnectionString("Endpoint=https://a.example;AccessKey=" + testKey + ";Version=1.0")
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "cs", cs)
	for _, s := range []string{cs.String(), fmt.Sprintf("%v %+v %#v %s", cs, cs, cs, cs), logged.String()} {
		if strings.Contains(s, testKey) {
			t.Errorf("%q leaks the key", s)
		}
		if !strings.Contains(s, "REDACTED") {
			t.Errorf("%q does not say REDACTED", s)
		}
	}
	back, err := ParseConnectionString(cs.Secret())
	if err != nil || back != cs {
		t.Errorf("ParseConnectionString(Secret()) = %+v, %v, want %+v", back, err, cs)
	}
}

func FuzzParseConnectionString(f *testing.F) {
	for _, s := range []string{
		"Endpoint=https://a.example;AccessKey=k;Version=1.0;",
		"Endpoint=http://localhost;Port=8080;AccessKey=k;Version=1.0;",
		"endpoint=http://[::1]:80/;accesskey==;ClientEndpoint=http://x",
		";;=;Endpoint",
		"Endpoint=http://%zz;AccessKey=k",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseConnectionString(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidConnectionString) {
				t.Fatalf("error %v does not wrap ErrInvalidConnectionString", err)
			}
			return
		}
		if cs.Endpoint == "" || cs.AccessKey == "" {
			t.Fatalf("parsed %q into %+v without endpoint or key", s, cs)
		}
		if len(cs.AccessKey) > 3 && strings.Contains(cs.String(), cs.AccessKey) && !strings.Contains(cs.Endpoint+cs.ClientEndpoint+cs.Version, cs.AccessKey) {
			t.Fatalf("String() leaks the key: %q", cs.String())
		}
		if strings.ContainsRune(cs.AccessKey, ';') {
			return // cannot round-trip
		}
		back, err := ParseConnectionString(cs.Secret())
		if err != nil {
			t.Fatalf("round trip of %q: %v", cs.Secret(), err)
		}
		if back.Endpoint != cs.Endpoint || back.AccessKey != cs.AccessKey || back.ClientEndpoint != cs.ClientEndpoint {
			t.Fatalf("round trip = %+v, want %+v", back, cs)
		}
	})
}
