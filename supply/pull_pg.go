package supply

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shuyu"
	"shuyu/sqlstore"
)

// pgSource reads a PostgreSQL-protocol front-end database (PostgreSQL,
// KingbaseES and openGauss in their PostgreSQL modes): one read-only
// REPEATABLE READ transaction counts the rows and streams them with
// COPY … TO STDOUT (CSV), so the count and the rows are one snapshot.
type pgSource struct {
	conn *pgx.Conn
	cfg  *sqlstore.PullConfig
	e    *sqlstore.DomainEntry
	base string // the FROM item: "schema"."table" or (query)
	cols []pgconn.FieldDescription
}

// dialTimeout bounds reaching a source.
const dialTimeout = 10 * time.Second

func openPG(ctx context.Context, p *sqlstore.PullSource, secret string, e *sqlstore.DomainEntry) (*pgSource, error) {
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, pullErr(sqlstore.PullErrInternal, shuyu.EINTERNAL, "数据库连接参数无效 (bad connection settings)")
	}
	// Everything is set here, never from a DSN string, so the password is
	// in no string an error could echo.
	cfg.Host, cfg.Port, cfg.Database, cfg.User, cfg.Password = p.Config.Host, uint16(p.Config.Port), p.Config.Database, p.Config.User, secret
	cfg.Fallbacks, cfg.ConnectTimeout = nil, dialTimeout
	cfg.TLSConfig = nil
	if p.Config.TLS {
		cfg.TLSConfig = tlsFor(p.Config.Host)
	}
	cfg.RuntimeParams = map[string]string{"application_name": "shuyu-pull", "TimeZone": "Asia/Shanghai", "DateStyle": "ISO, YMD"}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, pgError(err, true)
	}
	s := &pgSource{conn: conn, cfg: &p.Config, e: e}
	if p.Config.Table != "" {
		s.base = quoteDotted(p.Config.Table, `"`)
	} else {
		s.base = "(" + p.Config.Query + ")"
	}
	return s, nil
}

func quoteDotted(name, q string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = q + strings.ReplaceAll(p, q, q+q) + q
	}
	return strings.Join(parts, ".")
}

// pgError turns a driver error into what the department is told: the kind
// and the SQLSTATE, never the driver's text (it may quote values).
func pgError(err error, connecting bool) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "28P01" || pe.Code == "28000" || pe.Code == "42501":
			return pullErr(sqlstore.PullErrAuth, shuyu.EFORBIDDEN, "来源数据库拒绝了用户名、密码或权限 (SQLSTATE %s: authentication or permission refused)", pe.Code)
		case pe.Code == "3D000":
			return pullErr(sqlstore.PullErrConnection, shuyu.ECONFLICT, "来源数据库不存在 (SQLSTATE %s: database does not exist)", pe.Code)
		case pe.Code == "42P01" || pe.Code == "42703":
			return pullErr(sqlstore.PullErrMapping, shuyu.EINVALID, "来源表或列不存在 (SQLSTATE %s: table or column does not exist)", pe.Code)
		}
		return pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT, "来源数据库返回错误 (SQLSTATE %s)", pe.Code)
	}
	var ne net.Error
	if connecting || errors.As(err, &ne) {
		return pullErr(sqlstore.PullErrConnection, shuyu.ECONFLICT, "无法连接来源数据库，请检查地址、端口和网络 (cannot reach the source database)")
	}
	return pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT, "读取来源数据库时出错 (error reading the source)")
}

func (s *pgSource) close() { s.conn.Close(context.Background()) }

func (s *pgSource) columns(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT * FROM "+s.base+" s LIMIT 0")
	if err != nil {
		return nil, pgError(err, false)
	}
	s.cols = append([]pgconn.FieldDescription(nil), rows.FieldDescriptions()...)
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, pgError(err, false)
	}
	out := make([]string, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.Name
	}
	return out, nil
}

// col is the source's column of an entry field, quoted.
func (s *pgSource) col(name string) (string, uint32) {
	for _, c := range s.cols {
		if strings.EqualFold(c.Name, name) {
			return `s."` + strings.ReplaceAll(c.Name, `"`, `""`) + `"`, c.DataTypeOID
		}
	}
	return `s."` + strings.ReplaceAll(name, `"`, `""`) + `"`, 0
}

// selectList converts each mapped column to the text the domain parses:
// booleans as true/false, timestamps as local wall time (the session's
// TimeZone is Asia/Shanghai), dates as ISO dates.
func (s *pgSource) selectList() string {
	parts := make([]string, len(s.e.Fields))
	for i, f := range s.e.Fields {
		c, _ := s.col(s.cfg.Column(f.Name))
		switch f.DataType {
		case "boolean":
			c = fmt.Sprintf("CASE WHEN (%s)::boolean THEN 'true' WHEN NOT (%s)::boolean THEN 'false' END", c, c)
		case "timestamp", "datetime":
			c = "(" + c + ")::timestamp"
		case "date":
			c = "(" + c + ")::date"
		}
		parts[i] = c
	}
	return strings.Join(parts, ", ")
}

type copyWriter struct{ w *rowWriter }

func (c copyWriter) Write(b []byte) (int, error) { return c.w.raw(b) }

func (s *pgSource) pull(ctx context.Context, w *rowWriter, since string) (pullStats, error) {
	var st pullStats
	tx, err := s.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return st, pgError(err, false)
	}
	defer tx.Rollback(context.Background())
	where := ""
	if s.cfg.Mode == sqlstore.PullIncremental {
		wm, oid := s.col(s.cfg.Watermark)
		if since != "" {
			var typ string
			if err := tx.QueryRow(ctx, "SELECT format_type($1::oid, NULL)", oid).Scan(&typ); err != nil {
				return st, pgError(err, false)
			}
			// The watermark travels as a parameter, never spliced into SQL.
			if _, err := tx.Exec(ctx, "SELECT set_config('shuyu.watermark', $1, true)", since); err != nil {
				return st, pgError(err, false)
			}
			where = fmt.Sprintf(" WHERE %s > CAST(current_setting('shuyu.watermark') AS %s)", wm, typ)
		}
		var max *string
		if err := tx.QueryRow(ctx, fmt.Sprintf("SELECT count(*), max(%s)::text FROM %s s%s", wm, s.base, where)).Scan(&st.sourceRows, &max); err != nil {
			return st, pgError(err, false)
		}
		if max != nil {
			st.watermark = *max
		} else {
			st.watermark = since
		}
	} else if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+s.base+" s").Scan(&st.sourceRows); err != nil {
		return st, pgError(err, false)
	}
	q := fmt.Sprintf("COPY (SELECT %s FROM %s s%s) TO STDOUT WITH (FORMAT csv)", s.selectList(), s.base, where)
	tag, err := tx.Conn().PgConn().CopyTo(ctx, copyWriter{w}, q)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) || ctx.Err() == nil {
			return st, pgError(err, false)
		}
		return st, err
	}
	st.rows = tag.RowsAffected()
	return st, nil
}
