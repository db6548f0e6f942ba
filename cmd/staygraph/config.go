package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// flags is a flag set whose defaults come from STAYGRAPH_* environment
// variables: --database-url defaults to $STAYGRAPH_DATABASE_URL, and so on.
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

func (f *flags) String(name, def, usage string) *string {
	if v, ok := f.env(name); ok {
		def = v
	}
	return f.FlagSet.String(name, def, usage+" ["+envName(name)+"]")
}

func (f *flags) Int(name string, def int, usage string) *int {
	if v, ok := f.env(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q is not a number", envName(name), v))
		}
		def = n
	}
	return f.FlagSet.Int(name, def, usage+" ["+envName(name)+"]")
}

func (f *flags) Bool(name string, def bool, usage string) *bool {
	if v, ok := f.env(name); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q is not a boolean", envName(name), v))
		}
		def = b
	}
	return f.FlagSet.Bool(name, def, usage+" ["+envName(name)+"]")
}

func (f *flags) Duration(name string, def time.Duration, usage string) *time.Duration {
	if v, ok := f.env(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q is not a duration", envName(name), v))
		}
		def = d
	}
	return f.FlagSet.Duration(name, def, usage+" ["+envName(name)+"]")
}

// parse parses args and reports environment values that did not parse.
func (f *flags) parse(args []string) error {
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
	def := os.Getenv("DATABASE_URL")
	return common{
		databaseURL: f.String("database-url", def, "PostgreSQL connection string (also read from DATABASE_URL)"),
		logFormat:   f.String("log-format", "text", "log format: text or json"),
		logLevel:    f.String("log-level", "info", "log level: debug, info, warn, error"),
	}
}
