package workspace

import (
	"context"
	"fmt"
	"strings"

	"shuyu"
	"shuyu/sandbox"
	"shuyu/vault"
)

// GrantedTables returns the engine's tables of a workspace's granted,
// mounted and unsuspended entries, with the catalog entry behind each
// table: what an API-service template (package dataservice, R28.4) may
// read. Withheld results are not among them: a service answers from the
// granted data only.
func (s *Service) GrantedTables(ctx context.Context, ws *shuyu.Workspace) ([]sandbox.Table, map[string]int64, error) {
	if s.Vault == nil {
		return nil, nil, shuyu.Errorf(shuyu.EUNAVAILABLE, "数据域未启用 (data domain not available)")
	}
	var tables []sandbox.Table
	entries := map[string]int64{}
	for _, g := range ws.Grants {
		var cur *vault.Version
		if !g.Suspended {
			cur, _ = s.Vault.Current(ctx, g.VaultName)
		}
		if cur == nil {
			continue
		}
		version := fmt.Sprintf("%s@%d", g.VaultName, cur.N)
		types := s.versionTypes(ctx, g.VaultName, version)
		t := sandbox.Table{Name: g.Table, Source: g.VaultName, PersonKey: g.PersonKey, OnePerPerson: g.OneEach, Version: version}
		for _, f := range g.Fields {
			t.Columns = append(t.Columns, sandbox.Column{Name: f.Name, Type: cmpOr(types[strings.ToLower(f.Name)], "VARCHAR"),
				Policy: sandbox.Policy(f.Policy)})
		}
		tables = append(tables, t)
		entries[strings.ToLower(g.Table)] = g.EntryID
	}
	return tables, entries, nil
}
