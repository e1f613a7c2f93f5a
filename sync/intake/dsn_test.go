package intake

import (
	"strings"
	"testing"
)

// TestRedactDSN: a PostgreSQL URL is printed without its password, given after the user name
// or as a parameter; a SQLite path as it is.
func TestRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://central:s3cret@127.0.0.1:5432/central":          "postgres://central:xxxxx@127.0.0.1:5432/central",
		"postgresql://central@db/central?password=s3cret&sslmode=x": "postgresql://central@db/central?password=xxxxx&sslmode=x",
		"postgres://central@db/central":                             "postgres://central@db/central",
		"/srv/central/central.db":                                   "/srv/central/central.db",
	} {
		got := RedactDSN(dsn)
		if got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
}
