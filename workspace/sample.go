package workspace

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// simTable returns the simulated twin of a granted table, generating twins
// first if needed. Withheld results have no twin: they are real (R4.2).
func (s *Service) simTable(ctx context.Context, actor *shuyu.Actor, id int64, table string) (*simDB, *sqlstore.WorkspaceTable, error) {
	if _, err := s.DB.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceSample, id); err != nil {
		return nil, nil, err
	}
	if err := s.EnsureSimulated(ctx, actor, id); err != nil {
		return nil, nil, err
	}
	tables, err := s.DB.WorkspaceTables(ctx, actor, id)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range tables {
		if t.Kind == sqlstore.TableSimulated && strings.EqualFold(t.Name, table) {
			sim, err := s.sim(id)
			if err != nil {
				return nil, nil, err
			}
			return sim, &t, nil
		}
	}
	return nil, nil, shuyu.Errorf(shuyu.ENOTFOUND, "表 %s 没有仿真数据 (no simulated data for this table)", table)
}

// Sample returns up to limit rows of a table's simulated twin (R6.1).
func (s *Service) Sample(ctx context.Context, actor *shuyu.Actor, id int64, table string, limit int) ([]string, [][]any, error) {
	if limit <= 0 || limit > s.maxRows() {
		limit = 20
	}
	sim, t, err := s.simTable(ctx, actor, id, table)
	if err != nil {
		return nil, nil, err
	}
	conn, err := sim.db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	cols, _, rows, _, err := readRows(ctx, conn, fmt.Sprintf("SELECT * FROM %s LIMIT %d", quote(t.Source), limit), limit)
	return cols, rows, err
}

// WriteCSV writes a table's whole simulated twin as CSV (UTF-8 with BOM, so
// that Excel opens Chinese text correctly).
func (s *Service) WriteCSV(ctx context.Context, actor *shuyu.Actor, id int64, table string, w io.Writer) error {
	sim, t, err := s.simTable(ctx, actor, id, table)
	if err != nil {
		return err
	}
	conn, err := sim.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	cols, _, rows, _, err := readRows(ctx, conn, "SELECT * FROM "+quote(t.Source), int(t.Rows)+1)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	rec := make([]string, len(cols))
	for _, r := range rows {
		for i, v := range r {
			if v == nil {
				rec[i] = ""
			} else {
				rec[i] = fmt.Sprint(v)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
