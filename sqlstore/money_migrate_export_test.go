package sqlstore

// Exported for the external test of migration 0023's backfill.

// MigrationSQL is dialect d's embedded migrations, each version's SQL, in
// order.
func MigrationSQL(d Dialect) (versions []int, sqls []string, err error) {
	ms, err := migrations(d)
	for _, m := range ms {
		versions = append(versions, m.version)
		sqls = append(sqls, m.sql)
	}
	return versions, sqls, err
}
