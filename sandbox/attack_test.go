package sandbox

import (
	"strings"
	"testing"

	"shuyu"
)

// expectNotReleased runs each query and fails if any value reached the merchant.
func expectStatus(t *testing.T, f *fixture, want Status, qs ...string) {
	t.Helper()
	for _, q := range qs {
		res, err := f.eng.Run(f.ctx, f.conn, f.ws, q)
		if err != nil {
			t.Errorf("%q: error %v", q, err)
			continue
		}
		if res.Status != want {
			t.Errorf("%q: status %s (%v), want %s", q, res.Status, res.Reasons, want)
		}
		if res.Status != Released && len(res.Rows) > 0 {
			t.Errorf("%q: rows leaked with status %s", q, res.Status)
		}
		if res.Status == Rejected && len(res.Reasons) == 0 {
			t.Errorf("%q: rejected without a reason", q)
		}
	}
}

func TestEngineEscapes_R4_2(t *testing.T) {
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT count(*) FROM read_csv_auto('/etc/passwd')",
		"SELECT count(*) FROM read_parquet('s3://bucket/x.parquet')",
		"SELECT count(*) FROM glob('/etc/*')",
		"SELECT count(*) FROM '/etc/passwd'",
		"SELECT count(*) FROM 'https://example.com/x.csv'",
		"ATTACH '/tmp/x.db' AS x",
		"COPY src_people TO '/tmp/out.csv'",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"PRAGMA database_list",
		"SELECT count(*) FROM duckdb_settings()",
		"SELECT county, count(*) FROM people WHERE getenv('HOME') <> '' GROUP BY county",
		"SELECT current_setting('threads') AS s, count(*) FROM people GROUP BY s",
		"SELECT count(*) FROM people; SELECT count(*) FROM people",
		"SELECT count(*) FROM people /* hide */; DROP TABLE src_people",
		"SELECT count(*) FROM people -- x\n; CREATE TABLE y AS SELECT 1",
		"SELECT count(*) FROM src_people",
		"SELECT count(*) FROM information_schema.tables",
		"SELECT count(*) FROM main.src_people",
		"SELECT count(*) FROM sqlite_master",
		"CALL pragma_version()",
		"EXPORT DATABASE '/tmp/x'",
		"CREATE TABLE z AS SELECT 1",
	)
	// The lock itself holds even for SQL that bypasses the checker.
	if _, err := f.conn.ExecContext(f.ctx, "SET enable_external_access = true"); err == nil {
		t.Error("configuration was changeable after Lockdown")
	}
	if _, err := f.conn.QueryContext(f.ctx, "SELECT * FROM read_csv('/etc/passwd')"); err == nil {
		t.Error("file access after Lockdown")
	}
}

func TestIdentifierLeakViaFunctions_R28_5(t *testing.T) {
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT left(id, 6) AS k, count(*) FROM people GROUP BY k",
		"SELECT substr(id, 7, 8) AS k, count(*) FROM people GROUP BY k",
		"SELECT hash(id) AS k, count(*) FROM people GROUP BY k",
		"SELECT length(name) AS k, count(*) FROM people GROUP BY k",
		"SELECT regexp_extract(id, '(\\d{6})') AS k, count(*) FROM people GROUP BY k",
		"SELECT concat(county, id) AS k, count(*) FROM people GROUP BY k",
		"SELECT CAST(id AS BIGINT) % 7 AS k, count(*) FROM people GROUP BY k",
		"SELECT CASE WHEN id LIKE '640502%' THEN 1 ELSE 0 END AS k, count(*) FROM people GROUP BY k",
		"SELECT id = '"+tycoonID+"' AS k, count(*) FROM people GROUP BY k",
		"SELECT count(CASE WHEN id LIKE '6405221950%' THEN 1 END) FROM people",
		"SELECT sum(length(id)) FROM people",
		"SELECT county, count(*) FROM people WHERE id = '"+tycoonID+"' GROUP BY county",
		"SELECT county, count(*) FROM people WHERE left(id, 10) = '6405221950' GROUP BY county",
		"SELECT county, count(*) FROM people WHERE name LIKE '钱%' GROUP BY county",
		"SELECT mask_partial(id, 6, 0) AS k, count(*) FROM people GROUP BY k",
		"SELECT county, count(*) FILTER (WHERE id = '"+tycoonID+"') FROM people GROUP BY county",
	)
	// Row-level use of identifiers is never released: it stays in the domain.
	expectStatus(t, f, Withheld,
		"SELECT left(id, 6) AS k FROM people",
		"SELECT name || county AS x FROM people",
		"SELECT CASE WHEN id LIKE '64%' THEN name END AS x FROM people",
	)
}

func TestGroupByIdentifier_R28_3(t *testing.T) {
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT id, count(*) FROM people GROUP BY id",
		"SELECT count(*) FROM people GROUP BY name",
		"SELECT mask_hash(id) AS h, count(*) FROM people GROUP BY h",
		"SELECT count(*) FROM people GROUP BY 1+0, id",
		"SELECT p.name, sum(s.amount) FROM settlements s JOIN people p ON s.id = p.id GROUP BY p.name",
		"SELECT income, count(*) FROM people GROUP BY income",
		"SELECT birth_date, count(*) FROM people GROUP BY birth_date",
	)
}

func TestOrderLimitExtraction_R28_3(t *testing.T) {
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT max(income) FROM people",
		"SELECT county, min(income) FROM people GROUP BY county",
		"SELECT county, max(birth_date) FROM people GROUP BY county",
		"SELECT count(*) FROM people ORDER BY id LIMIT 1",
		"SELECT county, count(*) FROM people GROUP BY county ORDER BY max(income) DESC LIMIT 1",
		"SELECT county, count(*) FROM people GROUP BY county ORDER BY income LIMIT 1",
	)
	expectStatus(t, f, Withheld,
		"SELECT income FROM people ORDER BY income DESC LIMIT 1",
		"SELECT name, income FROM people ORDER BY income DESC LIMIT 1",
	)
}

func TestJoinRelinking_R28_3(t *testing.T) {
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT p.name AS n, count(*) FROM settlements s JOIN people p ON s.id = p.id GROUP BY n",
		"SELECT count(*) FROM settlements s JOIN people p ON s.id = p.id AND p.id = '"+tycoonID+"'",
		"SELECT count(*) FROM settlements s JOIN people p ON left(s.id, 6) = p.county",
		"SELECT count(*) FROM settlements s JOIN people p ON s.id LIKE p.id",
	)
	expectStatus(t, f, Withheld, "SELECT p.name, s.amount FROM settlements s JOIN people p ON s.id = p.id")
}

func TestErrorMessagesCarryNoValues_R4_2(t *testing.T) {
	f := newFixture(t)
	for _, q := range []string{
		"SELECT county, sum(CAST(gender AS INTEGER)) FROM people GROUP BY county",
		"SELECT CAST(name AS INTEGER) AS x FROM people",
		"SELECT county, avg(CAST(county || gender AS DOUBLE)) FROM people GROUP BY county",
	} {
		res, err := f.eng.Run(f.ctx, f.conn, f.ws, q)
		if err == nil {
			t.Errorf("%q: no error, status %s", q, res.Status)
			continue
		}
		if shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
			t.Errorf("%q: code %s", q, shuyu.ErrorCode(err))
		}
		for _, s := range []string{err.Error(), shuyu.ErrorMessage(err)} {
			if strings.Contains(s, "男") || strings.Contains(s, "女") || strings.Contains(s, "640") {
				t.Errorf("%q: error leaks a value: %s", q, s)
			}
			for _, p := range f.people[:200] {
				if strings.Contains(s, p.Name) {
					t.Errorf("%q: error leaks a name: %s", q, s)
				}
			}
		}
	}
}
