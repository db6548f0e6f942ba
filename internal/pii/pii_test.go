package pii_test

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/pii"
)

func keyring(t *testing.T, index []byte, keys ...pii.Key) *pii.Keyring {
	t.Helper()
	k, err := pii.NewKeyring(keys, index)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func key(id string) pii.Key { return pii.Key{ID: id, Secret: pii.GenerateKey()} }

const aad = "bookings.contact_email/0190f1e2-0000-7000-8000-000000000001"

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	k := keyring(t, pii.GenerateKey(), key("k1"))
	for _, plain := range []string{"ana@example.com", "", "Zoë Ångström-Łukasiewicz", strings.Repeat("x", 5000)} {
		env, err := k.Encrypt(plain, aad)
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && bytes.Contains(env, []byte(plain)) {
			t.Fatalf("the envelope contains the plaintext %q", plain)
		}
		if id, err := pii.KeyID(env); err != nil || id != "k1" {
			t.Fatalf("key id %q %v, want k1", id, err)
		}
		got, err := k.Decrypt(env, aad)
		if err != nil || got != plain {
			t.Fatalf("Decrypt = %q, %v; want %q", got, err, plain)
		}
	}
	// Two seals of one value differ (random nonce), so equal values are not visible as equal.
	a, _ := k.Encrypt("ana@example.com", aad)
	b, _ := k.Encrypt("ana@example.com", aad)
	if bytes.Equal(a, b) {
		t.Fatal("two envelopes of the same value are identical")
	}
}

func TestEnvelopeFormat(t *testing.T) {
	t.Parallel()
	k := keyring(t, pii.GenerateKey(), key("k2"))
	env, err := k.Encrypt("abc", aad)
	if err != nil {
		t.Fatal(err)
	}
	// format 1, id length 2, "k2", 12-byte nonce, 3 bytes of ciphertext, 16-byte tag
	if env[0] != 1 || env[1] != 2 || string(env[2:4]) != "k2" || len(env) != 4+12+3+16 {
		t.Fatalf("envelope % x", env)
	}
	if !bytes.HasPrefix(env, k.PrimaryHeader()) || !k.Current(env) {
		t.Fatal("the envelope does not start with the primary header")
	}
}

func TestWrongPurposeFails(t *testing.T) {
	t.Parallel()
	k := keyring(t, pii.GenerateKey(), key("k1"))
	env, err := k.Encrypt("ana@example.com", "bookings.contact_email/1")
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"bookings.contact_phone/1", "bookings.contact_email/2", "", "bookings.contact_email/1 "} {
		if got, err := k.Decrypt(env, other); !errors.Is(err, pii.ErrOpen) || got != "" {
			t.Errorf("Decrypt with aad %q = %q, %v; want ErrOpen", other, got, err)
		}
	}
}

func TestTamperedEnvelopeFails(t *testing.T) {
	t.Parallel()
	k := keyring(t, pii.GenerateKey(), key("k1"), key("k0"))
	env, err := k.Encrypt("ana@example.com", aad)
	if err != nil {
		t.Fatal(err)
	}
	for i := range env {
		bad := bytes.Clone(env)
		bad[i] ^= 0x01
		if got, err := k.Decrypt(bad, aad); err == nil {
			t.Fatalf("flipping a bit of byte %d still decrypts to %q", i, got)
		}
	}
	// Relabelling the envelope with the other key's id does not open it either.
	relabelled := bytes.Clone(env)
	relabelled[3] = '0'
	if _, err := k.Decrypt(relabelled, aad); !errors.Is(err, pii.ErrOpen) {
		t.Fatalf("relabelled envelope: %v, want ErrOpen", err)
	}
	for _, bad := range [][]byte{nil, {}, {1}, {2, 2, 'k', '1'}, env[:20], append([]byte{1, 0}, env[2:]...)} {
		if _, err := k.Decrypt(bad, aad); err == nil {
			t.Fatalf("malformed % x decrypts", bad)
		}
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	index := pii.GenerateKey()
	k1 := key("k1")
	old := keyring(t, index, k1)
	before, err := old.Encrypt("Zebulon", aad)
	if err != nil {
		t.Fatal(err)
	}

	k2 := key("k2")
	rotated := keyring(t, index, k2, k1)
	if rotated.Primary() != "k2" {
		t.Fatalf("primary %s, want k2 (the first key)", rotated.Primary())
	}
	if got, err := rotated.Decrypt(before, aad); err != nil || got != "Zebulon" {
		t.Fatalf("old value after adding k2: %q %v", got, err)
	}
	if rotated.Current(before) {
		t.Fatal("a k1 envelope counts as current under primary k2")
	}
	after, err := rotated.Encrypt("Zebulon", aad)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := pii.KeyID(after); id != "k2" || !rotated.Current(after) {
		t.Fatalf("new value sealed with %q, want k2", id)
	}
	// Without k1, old values are refused with a clear error; new ones open.
	k2only := keyring(t, index, k2)
	if _, err := k2only.Decrypt(before, aad); !errors.Is(err, pii.ErrUnknownKey) || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("k1 value without k1: %v, want ErrUnknownKey naming k1", err)
	}
	if got, err := k2only.Decrypt(after, aad); err != nil || got != "Zebulon" {
		t.Fatalf("k2 value with k2 only: %q %v", got, err)
	}
	// A key with the same id but other bytes is not the same key.
	impostor := keyring(t, index, key("k2"))
	if _, err := impostor.Decrypt(after, aad); !errors.Is(err, pii.ErrOpen) {
		t.Fatalf("another key named k2: %v, want ErrOpen", err)
	}
}

func TestBlindIndex(t *testing.T) {
	t.Parallel()
	index := pii.GenerateKey()
	k := keyring(t, index, key("k1"))
	a := k.BlindIndex("zebulon.quartermaine@example.org")
	if len(a) != 32 {
		t.Fatalf("index of %d bytes", len(a))
	}
	for _, same := range []string{"zebulon.quartermaine@example.org", "Zebulon.Quartermaine@EXAMPLE.org", "  zebulon.quartermaine@example.org\t"} {
		if !hmac.Equal(a, k.BlindIndex(same)) {
			t.Errorf("index of %q differs", same)
		}
	}
	for _, other := range []string{"zebulon.quartermaine@example.com", "zebulon@example.org", ""} {
		if hmac.Equal(a, k.BlindIndex(other)) {
			t.Errorf("index of %q equals the other email's", other)
		}
	}
	// Stable across keyrings that share the index key, even after rotating encryption keys...
	if !hmac.Equal(a, keyring(t, index, key("k9"), key("k1")).BlindIndex("zebulon.quartermaine@example.org")) {
		t.Error("index changed with the encryption keys")
	}
	// ...and meaningless under another index key.
	if hmac.Equal(a, keyring(t, pii.GenerateKey(), key("k1")).BlindIndex("zebulon.quartermaine@example.org")) {
		t.Error("index equal under another index key")
	}
	if bytes.Contains(a, []byte("zebulon")) {
		t.Error("the index contains the value")
	}
}

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	k1, k2, idx := key("k1"), key("k2"), pii.Key{ID: "idx", Secret: pii.GenerateKey()}
	spec := pii.FormatKeys([]pii.Key{k2, k1})
	indexB64 := strings.SplitN(pii.FormatKeys([]pii.Key{idx}), ":", 2)[1]
	k, err := pii.ParseKeyring(" "+strings.ReplaceAll(spec, ",", ", ")+" ", indexB64)
	if err != nil {
		t.Fatal(err)
	}
	if k.Primary() != "k2" || fmt.Sprint(k.KeyIDs()) != "[k2 k1]" {
		t.Fatalf("keys %v", k.KeyIDs())
	}
	secret := strings.SplitN(spec, ":", 2)[1][:10]
	if strings.Contains(k.String(), secret) || strings.Contains(fmt.Sprintf("%v", k), secret) {
		t.Fatal("the keyring prints its secrets")
	}
	short := "k1:" + strings.Repeat("A", 20)
	for _, c := range []struct{ keys, index string }{
		{"", indexB64},
		{"k1", indexB64},
		{short, indexB64},
		{"bad id:" + strings.SplitN(spec, ":", 2)[1], indexB64},
		{spec + "," + pii.FormatKeys([]pii.Key{k1}), indexB64}, // k1 twice
		{spec, ""},
		{spec, "not base64!"},
		{spec, strings.SplitN(pii.FormatKeys([]pii.Key{k1}), ":", 2)[1]}, // index key = k1
	} {
		if _, err := pii.ParseKeyring(c.keys, c.index); err == nil {
			t.Errorf("ParseKeyring(%q, %q) accepted", c.keys, c.index)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("error reveals a secret: %v", err)
		}
	}
	// A key pasted without its id is refused without a character of it.
	bare := strings.SplitN(spec, ":", 2)[1]
	if _, err := pii.ParseKeyring(bare, indexB64); err == nil || strings.Contains(err.Error(), secret[:4]) {
		t.Errorf("a bare key: %v, want an error that does not repeat it", err)
	}
}
