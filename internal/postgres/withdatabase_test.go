package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/postgres"
)

// A URL that names another database keeps the server's credentials and
// settings: a test server that asks for a password over TLS, or one reached
// through its socket, is reached so for every database.
func TestWithDatabaseKeepsCredentialsAndSettings(t *testing.T) {
	for _, server := range []string{
		"postgres://ci:s3cret@db.internal:6543/postgres?sslmode=require&application_name=ci",
		"host=db.internal port=6543 user=ci password=s3cret dbname=postgres sslmode=require application_name=ci",
	} {
		cfg, err := pgx.ParseConfig(postgres.WithDatabase(server, "staygraph_t_x"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Database != "staygraph_t_x" || cfg.Password != "s3cret" || cfg.User != "ci" || cfg.Host != "db.internal" ||
			cfg.Port != 6543 || cfg.TLSConfig == nil || cfg.RuntimeParams["application_name"] != "ci" {
			t.Errorf("%q: database %q, user %q, password %q, host %q:%d, TLS %v, params %v", server,
				cfg.Database, cfg.User, cfg.Password, cfg.Host, cfg.Port, cfg.TLSConfig != nil, cfg.RuntimeParams)
		}
	}
	param, err := pgx.ParseConfig(postgres.WithDatabase("postgres://postgres@127.0.0.1:5432/?dbname=postgres&sslmode=disable", "staygraph_t_x"))
	if err != nil || param.Database != "staygraph_t_x" {
		t.Errorf("URL with a dbname parameter: %+v %v", param, err)
	}
	socket, err := pgx.ParseConfig(postgres.WithDatabase("postgres:///postgres?host=/var/run/postgresql&user=postgres", "staygraph_t_x"))
	if err != nil || socket.Database != "staygraph_t_x" || socket.Host != "/var/run/postgresql" {
		t.Errorf("socket URL: %+v %v", socket, err)
	}
}
