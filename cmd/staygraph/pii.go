package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres"
)

// piiFlags are the keys that seal personal data (contact details, guest
// names) in the database.
type piiFlags struct {
	keys     *string
	indexKey *string
}

func addPIIFlags(f *flags) piiFlags {
	return piiFlags{
		keys: f.String("pii-keys", "", "keys sealing personal data: id:base64key[,id:base64key...], the first seals new values, "+
			"the others still open older ones (each 32 bytes: openssl rand -base64 32); prefer the environment variable"),
		indexKey: f.String("pii-index-key", "", "base64 key (32 bytes) of the blind index used to find bookings by email; "+
			"another key than the --pii-keys, never changed"),
	}
}

// errNoPIIKeys tells an operator how to configure the keys.
var errNoPIIKeys = errors.New(`personal data is stored encrypted and needs keys: set
  STAYGRAPH_PII_KEYS=k1:<key>        (or --pii-keys; several as "k2:<key>,k1:<key>", the first seals new data)
  STAYGRAPH_PII_INDEX_KEY=<key>      (or --pii-index-key; a separate key)
where each <key> is 32 random bytes in base64, for instance from: openssl rand -base64 32
Keep them safe and backed up: without them stored contact details and guest names cannot be read.
('staygraph dev' makes its own in its --data-dir.)`)

// keyring builds the keyring the flags configure, or returns nil when
// neither flag is set: a booking service then uses keys that die with the
// process, which only tests and benchmarks want. serve and dev call
// require or devDefaults first.
func (p piiFlags) keyring() (*pii.Keyring, error) {
	if *p.keys == "" && *p.indexKey == "" {
		return nil, nil
	}
	if *p.keys == "" || *p.indexKey == "" {
		return nil, errNoPIIKeys
	}
	k, err := pii.ParseKeyring(*p.keys, *p.indexKey)
	if err != nil {
		return nil, fmt.Errorf("--pii-keys / --pii-index-key: %w", err)
	}
	return k, nil
}

// migrateOpts give migrations the keys, when there are any: migrations
// 00024 and 00039 seal the cancel reasons and settlement notes an older
// release stored in plaintext.
func migrateOpts(keys *pii.Keyring) postgres.MigrateOpts {
	if keys == nil {
		return postgres.MigrateOpts{}
	}
	return postgres.MigrateOpts{SealCancelReason: booking.CancelReasonSealer(keys), SealSettlementNote: booking.SettlementNoteSealer(keys)}
}

// require fails, explaining how to make them, unless both keys are set
// and valid.
func (p piiFlags) require() error {
	if *p.keys == "" || *p.indexKey == "" {
		return errNoPIIKeys
	}
	if _, err := pii.ParseKeyring(*p.keys, *p.indexKey); err != nil {
		return fmt.Errorf("--pii-keys / --pii-index-key: %w", err)
	}
	return nil
}

// devDefaults fills in keys that were not given from files in dataDir,
// creating them on first use, so the dev server reads yesterday's bookings.
func (p piiFlags) devDefaults(dataDir string) error {
	if *p.keys == "" {
		v, err := devKeyFile(dataDir, "pii-keys", func() string {
			return pii.FormatKeys([]pii.Key{{ID: "k1", Secret: pii.GenerateKey()}})
		})
		if err != nil {
			return err
		}
		*p.keys = v
	}
	if *p.indexKey == "" {
		v, err := devKeyFile(dataDir, "pii-index-key", func() string {
			return base64.StdEncoding.EncodeToString(pii.GenerateKey())
		})
		if err != nil {
			return err
		}
		*p.indexKey = v
	}
	return nil
}

// devKeyFile reads dataDir/name, writing it with generate() first when it
// does not exist yet.
func devKeyFile(dataDir, name string, generate func() string) (string, error) {
	path := filepath.Join(dataDir, name)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read dev %s: %w", name, err)
	}
	v := generate()
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("create data folder: %w", err)
	}
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write dev %s: %w", name, err)
	}
	return v, nil
}
