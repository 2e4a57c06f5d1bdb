package vault

import (
	"context"
	"fmt"
	"strings"
)

// lockDown applies the database-wide restrictions and then locks the
// configuration so no connection can undo them (invariant 6, R4.2).
func (d *Domain) lockDown(ctx context.Context, opt Options) error {
	stmts := []string{
		// Only the staging directory stays reachable: uploads are parsed there.
		// and the backup directory receives the server's consistent copies
		// (backup.go).
		fmt.Sprintf("SET allowed_directories=[%s, %s]", sqlString(d.staging+"/"), sqlString(d.backupDir()+"/")),
		"SET enable_external_access=false",
		"SET autoinstall_known_extensions=false",
		"SET autoload_known_extensions=false",
		"SET allow_community_extensions=false",
		fmt.Sprintf("SET memory_limit=%s", sqlString(opt.MemoryLimit)),
		fmt.Sprintf("SET threads=%d", opt.Threads),
		"SET lock_configuration=true",
	}
	for _, s := range stmts {
		if _, err := d.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("lockdown %q: %w", strings.SplitN(s, "=", 2)[0], SanitizeError(err))
		}
	}
	return nil
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// ident quotes s as a SQL identifier.
func ident(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
