package supply

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// mysqlSource reads a MySQL-protocol front-end database (MySQL, MariaDB,
// TiDB, OceanBase in MySQL mode): a consistent-snapshot, read-only
// transaction counts the rows and streams them row by row.
type mysqlSource struct {
	db   *sql.DB
	cfg  *sqlstore.PullConfig
	e    *sqlstore.DomainEntry
	base string
	cols []string
}

// tlsFor is the TLS configuration of a source that requires TLS: the
// server's certificate is verified against the system roots and its name.
func tlsFor(host string) *tls.Config {
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}

func openMySQL(ctx context.Context, p *sqlstore.PullSource, secret string, e *sqlstore.DomainEntry) (*mysqlSource, error) {
	cfg := mysql.NewConfig()
	// Set field by field: no DSN string holds the password.
	cfg.User, cfg.Passwd, cfg.Net, cfg.DBName = p.Config.User, secret, "tcp", p.Config.Database
	cfg.Addr = net.JoinHostPort(p.Config.Host, strconv.Itoa(p.Config.Port))
	cfg.Timeout = dialTimeout
	cfg.Params = map[string]string{"time_zone": "'+08:00'"}
	if p.Config.TLS {
		cfg.TLS = tlsFor(p.Config.Host)
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, pullErr(sqlstore.PullErrInternal, shuyu.EINTERNAL, "数据库连接参数无效 (bad connection settings)")
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, mysqlError(err, true)
	}
	s := &mysqlSource{db: db, cfg: &p.Config, e: e}
	if p.Config.Table != "" {
		s.base = quoteDotted(p.Config.Table, "`")
	} else {
		s.base = "(" + p.Config.Query + ")"
	}
	return s, nil
}

// mysqlError: the kind and the server's error number, never its text.
func mysqlError(err error, connecting bool) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045, 1044, 1142, 1143, 1227:
			return pullErr(sqlstore.PullErrAuth, shuyu.EFORBIDDEN, "来源数据库拒绝了用户名、密码或权限 (error %d: authentication or permission refused)", me.Number)
		case 1049:
			return pullErr(sqlstore.PullErrConnection, shuyu.ECONFLICT, "来源数据库不存在 (error %d: unknown database)", me.Number)
		case 1146, 1054:
			return pullErr(sqlstore.PullErrMapping, shuyu.EINVALID, "来源表或列不存在 (error %d: table or column does not exist)", me.Number)
		}
		return pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT, "来源数据库返回错误 (error %d)", me.Number)
	}
	var ne net.Error
	if connecting || errors.As(err, &ne) {
		return pullErr(sqlstore.PullErrConnection, shuyu.ECONFLICT, "无法连接来源数据库，请检查地址、端口和网络 (cannot reach the source database)")
	}
	return pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT, "读取来源数据库时出错 (error reading the source)")
}

func (s *mysqlSource) close() { s.db.Close() }

func (s *mysqlSource) columns(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT * FROM "+s.base+" s LIMIT 0")
	if err != nil {
		return nil, mysqlError(err, false)
	}
	defer rows.Close()
	if s.cols, err = rows.Columns(); err != nil {
		return nil, mysqlError(err, false)
	}
	return s.cols, nil
}

func (s *mysqlSource) col(name string) string {
	for _, c := range s.cols {
		if strings.EqualFold(c, name) {
			name = c
			break
		}
	}
	return "s.`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func (s *mysqlSource) selectList() string {
	parts := make([]string, len(s.e.Fields))
	for i, f := range s.e.Fields {
		c := s.col(s.cfg.Column(f.Name))
		if f.DataType == "boolean" {
			c = fmt.Sprintf("CASE WHEN %s THEN 'true' WHEN NOT %s THEN 'false' END", c, c)
		}
		parts[i] = c
	}
	return strings.Join(parts, ", ")
}

func (s *mysqlSource) pull(ctx context.Context, w *vault.RowWriter, since string) (pullStats, error) {
	var st pullStats
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return st, mysqlError(err, true)
	}
	defer conn.Close()
	for _, q := range []string{"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return st, mysqlError(err, false)
		}
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	where, args := "", []any{}
	if s.cfg.Mode == sqlstore.PullIncremental {
		wm := s.col(s.cfg.Watermark)
		if since != "" {
			where, args = " WHERE "+wm+" > ?", []any{since}
		}
		var max sql.NullString
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*), CAST(max(%s) AS CHAR) FROM %s s%s", wm, s.base, where), args...).
			Scan(&st.sourceRows, &max); err != nil {
			return st, mysqlError(err, false)
		}
		st.watermark = since
		if max.Valid {
			st.watermark = max.String
		}
	} else if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+s.base+" s").Scan(&st.sourceRows); err != nil {
		return st, mysqlError(err, false)
	}
	w.Expect(st.sourceRows)
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s s%s", s.selectList(), s.base, where), args...)
	if err != nil {
		return st, mysqlError(err, false)
	}
	defer rows.Close()
	n := len(s.e.Fields)
	raw := make([]sql.RawBytes, n)
	dest := make([]any, n)
	for i := range raw {
		dest[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return st, mysqlError(err, false)
		}
		for _, b := range raw {
			w.Value(b) // copied; nil (NULL) and empty both arrive as NULL
		}
		if err := w.EndRow(); err != nil {
			return st, err
		}
		st.rows++
	}
	if err := rows.Err(); err != nil {
		return st, mysqlError(err, false)
	}
	return st, nil
}
