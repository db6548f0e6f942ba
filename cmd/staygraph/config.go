package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

// flags is a flag set that also reads STAYGRAPH_* environment variables:
// $STAYGRAPH_DATABASE_URL sets --database-url unless the command line does.
// An environment value is set on the flag, not made its default, so usage
// text (-h, a mistyped flag) never prints it: secrets are passed this way.
type flags struct {
	*flag.FlagSet
	errs []error
}

func newFlags(name string) *flags {
	fs := flag.NewFlagSet("staygraph "+name, flag.ContinueOnError)
	return &flags{FlagSet: fs}
}

func envName(flagName string) string {
	return "STAYGRAPH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flags) env(name string) (string, bool) {
	v, ok := os.LookupEnv(envName(name))
	return v, ok && v != ""
}

// fromEnv sets the flag name from its environment variable, if set.
func (f *flags) fromEnv(name string) {
	if v, ok := f.env(name); ok {
		f.setFrom(envName(name), name, v)
	}
}

// alsoFrom sets the flag name from the conventional variable envVar (such
// as DATABASE_URL) when its own STAYGRAPH_* variable is not set.
func (f *flags) alsoFrom(name, envVar string) {
	if _, ok := f.env(name); ok {
		return
	}
	if v := os.Getenv(envVar); v != "" {
		f.setFrom(envVar, name, v)
	}
}

func (f *flags) setFrom(envVar, name, v string) {
	if err := f.FlagSet.Set(name, v); err != nil {
		// The value is not repeated: it may be a secret.
		f.errs = append(f.errs, fmt.Errorf("%s is not a valid --%s", envVar, name))
	}
}

// parse sets every flag from its environment variable (named in its usage
// text), then from args, and reports environment values that did not parse.
func (f *flags) parse(args []string) error {
	f.VisitAll(func(fl *flag.Flag) {
		fl.Usage += " [" + envName(fl.Name) + "]"
		f.fromEnv(fl.Name)
	})
	if err := f.Parse(args); err != nil {
		return err
	}
	if len(f.errs) > 0 {
		return f.errs[0]
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", f.Args())
	}
	return nil
}

// common holds settings every command that talks to the database shares.
type common struct {
	databaseURL *string
	logFormat   *string
	logLevel    *string
}

func commonFlags(f *flags) common {
	c := common{
		databaseURL: f.String("database-url", "", "PostgreSQL connection string (also read from DATABASE_URL)"),
		logFormat:   f.oneOf("log-format", "text", "log format: text or json", "text", "json"),
		logLevel:    f.oneOf("log-level", "info", "log level: debug, info, warn, error", "debug", "info", "warn", "error"),
	}
	f.alsoFrom("database-url", "DATABASE_URL")
	return c
}

// choice is a string flag that takes one of a few values.
type choice struct {
	value   string
	allowed []string
}

func (c *choice) String() string {
	if c == nil {
		return ""
	}
	return c.value
}

func (c *choice) Set(v string) error {
	if !slices.Contains(c.allowed, v) {
		return fmt.Errorf("want one of %s", strings.Join(c.allowed, ", "))
	}
	c.value = v
	return nil
}

// oneOf defines a string flag that refuses values other than allowed.
func (f *flags) oneOf(name, value, usage string, allowed ...string) *string {
	c := &choice{value: value, allowed: allowed}
	f.Var(c, name, usage)
	return &c.value
}
