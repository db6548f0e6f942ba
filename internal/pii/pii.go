// Package pii encrypts personal data field by field before it is stored, and
// computes blind indexes so stored values can be looked up without being
// readable.
//
// A Keyring holds several AES-256 keys, each with a short id ("k1", "k2");
// the first is the primary key that seals new values, the others only open
// values sealed before a rotation. Every sealed value is a self-describing
// envelope:
//
//	byte 0        format, 0x01
//	byte 1        n, the length of the key id (1..32)
//	bytes 2..2+n  the key id, ASCII
//	next 12       the random GCM nonce
//	rest          AES-256-GCM ciphertext with its 16-byte tag
//
// The GCM additional data is the envelope header (format, n, key id)
// followed by the caller's purpose string (for instance
// "bookings.contact_email/<booking id>"), so a ciphertext copied into
// another column or another row, or relabelled with another key id, does
// not decrypt.
//
// Blind indexes are HMAC-SHA256 under a separate index key over the trimmed,
// lower-cased value: equal emails give equal indexes whatever their case, and
// the index reveals nothing without the key.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// KeySize is the length of every key, encryption and index: 32 bytes.
const KeySize = 32

const (
	formatV1  byte = 0x01
	nonceSize      = 12
	tagSize        = 16
	maxIDLen       = 32
)

// Errors of Decrypt. They never include key material or plaintext.
var (
	// ErrMalformed is a value that is not an envelope of a known format.
	ErrMalformed = errors.New("pii: not a sealed value")
	// ErrUnknownKey is an envelope sealed with a key the keyring lacks.
	ErrUnknownKey = errors.New("pii: sealed with a key that is not in the keyring")
	// ErrOpen is an envelope that does not authenticate: another purpose,
	// another key with the same id, or tampered bytes.
	ErrOpen = errors.New("pii: sealed value does not authenticate (wrong purpose, wrong key or tampered)")
)

// Key is one AES-256 encryption key and its id.
type Key struct {
	ID     string
	Secret []byte
}

// Keyring seals and opens personal data and computes blind indexes. It is
// safe for concurrent use.
type Keyring struct {
	ids   []string // primary first
	aeads map[string]cipher.AEAD
	index []byte
}

// NewKeyring returns a keyring whose first key is the primary. indexKey is
// the HMAC key of blind indexes; it must differ from every encryption key.
func NewKeyring(keys []Key, indexKey []byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("pii: give at least one encryption key")
	}
	if len(indexKey) < KeySize {
		return nil, fmt.Errorf("pii: the index key has %d bytes, want at least %d", len(indexKey), KeySize)
	}
	k := &Keyring{aeads: map[string]cipher.AEAD{}, index: append([]byte(nil), indexKey...)}
	for _, key := range keys {
		if err := validID(key.ID); err != nil {
			return nil, err
		}
		if _, dup := k.aeads[key.ID]; dup {
			return nil, fmt.Errorf("pii: key id %q given twice", key.ID)
		}
		if len(key.Secret) != KeySize {
			return nil, fmt.Errorf("pii: key %q has %d bytes, want %d (AES-256)", key.ID, len(key.Secret), KeySize)
		}
		if subtle.ConstantTimeCompare(key.Secret, indexKey) == 1 {
			return nil, fmt.Errorf("pii: key %q is also the index key; use a separate index key", key.ID)
		}
		block, err := aes.NewCipher(key.Secret)
		if err != nil {
			return nil, fmt.Errorf("pii: key %q: %w", key.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("pii: key %q: %w", key.ID, err)
		}
		k.ids = append(k.ids, key.ID)
		k.aeads[key.ID] = aead
	}
	return k, nil
}

// NewEphemeral returns a keyring of fresh random keys that exist only in
// memory: for tests and benchmarks, never for data that must outlive the
// process.
func NewEphemeral() *Keyring {
	k, err := NewKeyring([]Key{{ID: "ephemeral", Secret: GenerateKey()}}, GenerateKey())
	if err != nil {
		panic(err) // random keys of the right size always make a keyring
	}
	return k
}

// GenerateKey returns KeySize random bytes.
func GenerateKey() []byte {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}

// ParseKeyring builds a keyring from its configuration: keys as in ParseKeys
// and the index key in base64.
func ParseKeyring(keys, indexKey string) (*Keyring, error) {
	parsed, err := ParseKeys(keys)
	if err != nil {
		return nil, err
	}
	index, err := decodeKey(indexKey)
	if err != nil {
		return nil, fmt.Errorf("pii: index key: %w", err)
	}
	return NewKeyring(parsed, index)
}

// ParseKeys reads "k2:<base64>,k1:<base64>": comma-separated id:key pairs,
// the primary first, each key 32 bytes in standard base64.
func ParseKeys(spec string) ([]Key, error) {
	var out []Key
	for i, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, secret, ok := strings.Cut(part, ":")
		if !ok {
			// Without its id, the entry may be a bare key: never repeat it.
			return nil, fmt.Errorf("pii: entry %d is not id:base64key", i+1)
		}
		id = strings.TrimSpace(id)
		if err := validID(id); err != nil {
			return nil, err
		}
		b, err := decodeKey(secret)
		if err != nil {
			return nil, fmt.Errorf("pii: key %q: %w", id, err)
		}
		out = append(out, Key{ID: id, Secret: b})
	}
	if len(out) == 0 {
		return nil, errors.New("pii: no keys given; want id:base64key[,id:base64key...]")
	}
	return out, nil
}

// FormatKeys writes keys in the form ParseKeys reads.
func FormatKeys(keys []Key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret)
	}
	return strings.Join(parts, ",")
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, errors.New("not valid base64")
		}
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("%d bytes, want %d (openssl rand -base64 32)", len(b), KeySize)
	}
	return b, nil
}

func validID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("pii: key id %q must have 1 to %d characters", id, maxIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("pii: key id %q may use only letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}

// Primary is the id of the key that seals new values.
func (k *Keyring) Primary() string { return k.ids[0] }

// KeyIDs lists the ids of the keyring's keys, the primary first.
func (k *Keyring) KeyIDs() []string { return append([]string(nil), k.ids...) }

// String names the keys, never their secrets.
func (k *Keyring) String() string {
	return fmt.Sprintf("pii.Keyring{primary %s, keys %s}", k.Primary(), strings.Join(k.ids, ","))
}

// LogValue keeps secrets out of structured logs.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

// header is the start of every envelope sealed with key id.
func header(id string) []byte {
	return append([]byte{formatV1, byte(len(id))}, id...)
}

// PrimaryHeader is how every envelope sealed now begins: the format byte,
// the primary key id's length and the id. Values that begin otherwise are
// due for rotation; storage can select them without opening them.
func (k *Keyring) PrimaryHeader() []byte { return header(k.Primary()) }

// Encrypt seals plaintext under the primary key, bound to purpose aad (which
// column of which row it belongs to). Opening needs the same aad.
func (k *Keyring) Encrypt(plaintext string, aad string) ([]byte, error) {
	id := k.Primary()
	h := header(id)
	out := make([]byte, len(h)+nonceSize, len(h)+nonceSize+len(plaintext)+tagSize)
	copy(out, h)
	nonce := out[len(h):]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("pii: nonce: %w", err)
	}
	return k.aeads[id].Seal(out, nonce, []byte(plaintext), additional(h, aad)), nil
}

// Decrypt opens an envelope with the key its header names, so values sealed
// before a rotation open as long as their key stays in the keyring.
func (k *Keyring) Decrypt(envelope []byte, aad string) (string, error) {
	id, rest, err := split(envelope)
	if err != nil {
		return "", err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", fmt.Errorf("%w (key %q; add it to the keyring, or rotate before removing it)", ErrUnknownKey, id)
	}
	if len(rest) < nonceSize+tagSize {
		return "", ErrMalformed
	}
	h := envelope[:len(envelope)-len(rest)]
	plain, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], additional(h, aad))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// KeyID is the id of the key an envelope was sealed with.
func KeyID(envelope []byte) (string, error) {
	id, _, err := split(envelope)
	return id, err
}

// Current reports whether an envelope is sealed under the primary key in
// the current format, so rotating it would change nothing.
func (k *Keyring) Current(envelope []byte) bool {
	h := k.PrimaryHeader()
	return len(envelope) > len(h) && string(envelope[:len(h)]) == string(h)
}

func split(envelope []byte) (id string, rest []byte, err error) {
	if len(envelope) < 2 || envelope[0] != formatV1 {
		return "", nil, ErrMalformed
	}
	n := int(envelope[1])
	if n == 0 || n > maxIDLen || len(envelope) < 2+n {
		return "", nil, ErrMalformed
	}
	return string(envelope[2 : 2+n]), envelope[2+n:], nil
}

func additional(header []byte, aad string) []byte {
	out := make([]byte, 0, len(header)+len(aad))
	return append(append(out, header...), aad...)
}

// BlindIndex is the lookup token of value: HMAC-SHA256 under the index key
// of the value trimmed and lower-cased (emails compare case-insensitively).
// Compare tokens with hmac.Equal.
func (k *Keyring) BlindIndex(value string) []byte {
	mac := hmac.New(sha256.New, k.index)
	mac.Write([]byte(Normalize(value)))
	return mac.Sum(nil)
}

// MAC is HMAC-SHA256 of data under the index key: a fingerprint of a request
// that may hold personal data, comparable without keeping the data.
func (k *Keyring) MAC(data []byte) []byte {
	mac := hmac.New(sha256.New, k.index)
	mac.Write(data)
	return mac.Sum(nil)
}

// Normalize is the form of a value that BlindIndex hashes.
func Normalize(value string) string { return strings.ToLower(strings.TrimSpace(value)) }
