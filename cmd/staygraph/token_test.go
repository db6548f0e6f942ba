package main

import (
	"context"
	"strings"
	"testing"
)

// token refuses what serve would refuse, naming the flag: a token that is
// never valid (--ttl 0 used to mean 24 hours) or signed with a secret
// shorter than serve accepts.
func TestTokenRefusesWhatServeRefuses(t *testing.T) {
	secret := "--jwt-secret=" + strings.Repeat("s", minJWTSecret)
	for name, tc := range map[string]struct {
		args []string
		flag string
	}{
		"no time":         {[]string{secret, "--role", "ADMIN", "--ttl", "0s"}, "--ttl"},
		"a negative time": {[]string{secret, "--role", "ADMIN", "--ttl", "-1h"}, "--ttl"},
		"a short secret":  {[]string{"--jwt-secret", "short", "--role", "ADMIN"}, "--jwt-secret"},
	} {
		if err := runToken(context.Background(), tc.args); err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%s: %v, want a refusal naming %s", name, err, tc.flag)
		}
	}
	if err := runToken(context.Background(), []string{secret, "--role", "ADMIN"}); err != nil {
		t.Fatalf("a token with the defaults: %v", err)
	}
}
