package supply

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// pgSource reads a PostgreSQL-protocol front-end database (PostgreSQL,
// KingbaseES and openGauss in their PostgreSQL modes): one read-only
// REPEATABLE READ transaction streams the rows with COPY … TO STDOUT (text
// format), whose command tag is the server's count of the rows it sent; an
// incremental pull also counts them and takes the watermark's maximum
// first, in the same snapshot.
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
	// COPY's rows arrive as many small messages: read the socket in large
	// chunks rather than 8 KiB ones.
	cfg.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(r, 256<<10), w)
	}
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
// booleans as true/false (t/f from a boolean column), timestamps as local wall time (the session's
// TimeZone is Asia/Shanghai), dates as ISO dates.
func (s *pgSource) selectList() string {
	parts := make([]string, len(s.e.Fields))
	for i, f := range s.e.Fields {
		c, oid := s.col(s.cfg.Column(f.Name))
		switch f.DataType {
		case "boolean":
			if oid != 16 { // a boolean column prints t/f, which the domain reads as it is
				c = fmt.Sprintf("CASE WHEN (%s)::boolean THEN 'true' WHEN NOT (%s)::boolean THEN 'false' END", c, c)
			}
		case "timestamp", "datetime":
			c = "(" + c + ")::timestamp"
		case "date":
			c = "(" + c + ")::date"
		}
		parts[i] = c
	}
	return strings.Join(parts, ", ")
}

// copyText decodes PostgreSQL's COPY text format (tab-separated, \N for
// NULL, backslash escapes) into the row writer as it arrives: PostgreSQL
// sends one row per message, but a row split across writes is carried.
type copyText struct {
	w     *vault.RowWriter
	carry []byte // an incomplete row
	val   []byte // an unescaped value
	err   error  // the writer's own error (a refused row)
}

func (c *copyText) Write(b []byte) (int, error) {
	n := len(b)
	if len(c.carry) > 0 {
		c.carry = append(c.carry, b...)
		b = c.carry
	}
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		if err := c.row(b[:i]); err != nil {
			c.err = err
			return 0, err
		}
		b = b[i+1:]
	}
	c.carry = append(c.carry[:0], b...)
	return n, nil
}

func (c *copyText) row(line []byte) error {
	for {
		i := bytes.IndexByte(line, '\t')
		f := line
		if i >= 0 {
			f = line[:i]
		}
		switch {
		case len(f) == 2 && f[0] == '\\' && f[1] == 'N':
			c.w.Null()
		case bytes.IndexByte(f, '\\') < 0:
			c.w.Value(f)
		default:
			c.val = unescapeCopy(c.val[:0], f)
			c.w.Value(c.val)
		}
		if i < 0 {
			return c.w.EndRow()
		}
		line = line[i+1:]
	}
}

// unescapeCopy appends f without COPY's text escapes to dst.
func unescapeCopy(dst, f []byte) []byte {
	for i := 0; i < len(f); i++ {
		ch := f[i]
		if ch != '\\' || i+1 == len(f) {
			dst = append(dst, ch)
			continue
		}
		i++
		switch e := f[i]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'v':
			dst = append(dst, '\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := e - '0'
			for k := 0; k < 2 && i+1 < len(f) && f[i+1] >= '0' && f[i+1] <= '7'; k++ {
				i++
				v = v<<3 | (f[i] - '0')
			}
			dst = append(dst, v)
		case 'x':
			v, k := byte(0), 0
			for ; k < 2 && i+1 < len(f) && isHex(f[i+1]); k++ {
				i++
				v = v<<4 | unhex(f[i])
			}
			if k == 0 {
				dst = append(dst, 'x')
			} else {
				dst = append(dst, v)
			}
		default:
			dst = append(dst, e)
		}
	}
	return dst
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

func unhex(b byte) byte {
	switch {
	case b >= 'a':
		return b - 'a' + 10
	case b >= 'A':
		return b - 'A' + 10
	}
	return b - '0'
}

func (s *pgSource) pull(ctx context.Context, w *vault.RowWriter, since string) (pullStats, error) {
	var st pullStats
	if s.cfg.Mode != sqlstore.PullIncremental && s.cfg.Table != "" {
		// For the progress bar only, outside the snapshot: the planner's
		// estimate of the table's rows (nothing when unknown).
		var est float64
		if s.conn.QueryRow(ctx, "SELECT coalesce(max(reltuples), 0)::float8 FROM pg_class WHERE oid = to_regclass($1)", s.base).Scan(&est) == nil {
			w.Expect(int64(est))
		}
	}
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
	}
	if s.cfg.Mode == sqlstore.PullIncremental {
		w.Expect(st.sourceRows)
	}
	// A snapshot's source count is COPY's own: the number of rows the
	// server says it sent from the transaction's snapshot (a separate
	// count(*) in the same snapshot could only say the same, at the cost
	// of a second scan of the table).
	q := fmt.Sprintf("COPY (SELECT %s FROM %s s%s) TO STDOUT", s.selectList(), s.base, where)
	ct := &copyText{w: w}
	tag, err := tx.Conn().PgConn().CopyTo(ctx, ct, q)
	if err == nil && len(ct.carry) > 0 {
		ct.err = ct.row(ct.carry) // a last row without its newline
	}
	if ct.err != nil {
		return st, ct.err
	}
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) || ctx.Err() == nil {
			return st, pgError(err, false)
		}
		return st, err
	}
	st.rows = tag.RowsAffected()
	if s.cfg.Mode != sqlstore.PullIncremental {
		st.sourceRows = st.rows
	} else if st.rows != st.sourceRows {
		return st, pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT, "来源计数%d行，COPY报告%d行 (source counted %d rows, COPY sent %d)", st.sourceRows, st.rows, st.sourceRows, st.rows)
	}
	return st, nil // rows decoded against the count: reconciled by stagePull
}
