package workspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"shuyu"
	"shuyu/sandbox"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// Consent-gated workspaces (R28.5, issue 17). A workspace opened "by
// consent" reads, in every real-data query, only the rows of subjects with a
// live grant to its merchant. The gate is in the domain, below the governed
// engine: the engine's table sources are replaced by views that keep the
// rows whose subject key is among the consenting subjects' keys, so no SQL a
// merchant writes can reach another row.
//
//   - The store knows consenting subjects by keyed digest only
//     (sqlstore.DB.WorkspaceConsents, read again for every query, so a
//     revocation committed before a query stops it, like a suspension).
//   - The domain maps digests to its own keys through a digest table per
//     version and key column (vault.Domain.DigestTable, built once).
//   - Before each query the workspace's key table _ck_w<id> is rebuilt when
//     the set of grants or a version changed (the signature it was built
//     for is kept beside it, _consent_sig), and the views read it:
//     _cv_w<id>_<table> over each granted table, ws_w<id>.consent_<result>
//     over each withheld result (filtered by its hidden unit columns, so a
//     result saved while a grant was live loses the subject's rows once it
//     is revoked).
//   - The grants' hash is part of each table's Version, so the answer cache,
//     release memory and noise never carry an answer across a change of
//     the consenting set.
//   - Each query counts one use of every grant whose subject has rows in a
//     table the query names (shuyu.WorkspaceQuery.ConsentUses), recorded in
//     the query's transaction; the subject sees the count on its page.
//
// Tables without a subject key (reference data) are not gated: they hold no
// subject's rows. Simulated twins are not gated either: they are synthetic
// and built as in every workspace (docs/authorization.md).

type consentGate struct {
	ws     int64
	grants []sqlstore.LiveGrant
	hash   string
	views  []gatedView
}

type gatedView struct {
	table string   // the name merchants use
	view  string   // the view the engine reads instead (main or schema.name)
	under string   // what it filters: the entry's view or schema.result
	keys  []string // the subject key columns
	entry string   // the vault entry of a granted table ("" for a result)
}

// consentState is what the domain holds for one workspace.
type consentState struct {
	mu      sync.Mutex // held from rebuilding the views through the query's run
	sig     string
	present map[string]map[string]bool // table → digests with rows in it
}

func (s *Service) consentOf(id int64) *consentState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.consent == nil {
		s.consent = map[int64]*consentState{}
	}
	c := s.consent[id]
	if c == nil {
		c = &consentState{}
		s.consent[id] = c
	}
	return c
}

func consentKeysTable(ws int64) string { return fmt.Sprintf("_ck_w%d", ws) }

// gateTables points sw's tables at the consent views of workspace ws. It
// reads the live grants; nothing is written to the domain yet (materialize).
func (s *Service) gateTables(ctx context.Context, ws *shuyu.Workspace, sw *sandbox.Workspace) (*consentGate, error) {
	grants, err := s.DB.WorkspaceConsents(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	digests := make([]string, len(grants))
	for i, g := range grants {
		digests[i] = g.Subject
	}
	slices.Sort(digests)
	h := sha256.Sum256([]byte(strings.Join(slices.Compact(digests), "\n")))
	gate := &consentGate{ws: ws.ID, grants: grants, hash: hex.EncodeToString(h[:8])}
	entries := map[string]string{}
	for _, g := range ws.Grants {
		entries[strings.ToLower(g.Table)] = g.VaultName
	}
	for i := range sw.Tables {
		t := &sw.Tables[i]
		if t.PersonKey == "" {
			continue
		}
		v := gatedView{table: t.Name, under: t.Source, keys: strings.Split(t.PersonKey, ",")}
		if schema, name, ok := strings.Cut(t.Source, "."); ok {
			v.view = schema + ".consent_" + name
		} else {
			v.entry = entries[strings.ToLower(t.Name)]
			v.view = fmt.Sprintf("_cv_w%d_%s", ws.ID, strings.ToLower(t.Name))
		}
		t.Source = v.view
		t.Version += "+consent:" + gate.hash
		gate.views = append(gate.views, v)
	}
	return gate, nil
}

// materialize makes the domain's key table and views match gate and returns
// the unlock to call after the query ran: until then no other query of the
// workspace can change what the views read.
func (s *Service) materialize(ctx context.Context, gate *consentGate) (func(), error) {
	st := s.consentOf(gate.ws)
	st.mu.Lock()
	ok := false
	defer func() {
		if !ok {
			st.mu.Unlock()
		}
	}()
	tag, err := s.DB.Digest("subject-tag", "")
	if err != nil {
		return nil, err
	}
	tag = tag[:8]
	// The digest table of each granted table's key, for its current version.
	kds := map[string]string{} // view → digest table
	sig := []string{gate.hash}
	for _, v := range gate.views {
		if v.entry == "" || len(v.keys) != 1 {
			continue
		}
		kd, err := s.Vault.DigestTable(ctx, v.entry, v.keys[0], tag, func(k string) (string, error) {
			return s.DB.SubjectDigest(strings.ToUpper(strings.TrimSpace(k)))
		})
		if err != nil {
			return nil, err
		}
		kds[v.view] = kd
		sig = append(sig, v.view+"="+kd)
	}
	for _, v := range gate.views {
		sig = append(sig, v.view+"<"+v.under)
	}
	signature := strings.Join(sig, "\n")
	conn, err := s.Vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// The signature the domain's tables were last built for is kept in the
	// domain too: another Service over the same domain (the demo's, a
	// future worker) may have rebuilt them since this one did.
	var built string
	_ = conn.QueryRowContext(ctx, `SELECT sig FROM _consent_sig WHERE ws = ?`, gate.ws).Scan(&built)
	if st.sig == signature && built == signature {
		ok = true
		return st.mu.Unlock, nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, vault.SanitizeError(err)
	}
	defer tx.Rollback()
	ck := quote(consentKeysTable(gate.ws))
	digests := make([]any, 0, len(gate.grants))
	for _, g := range gate.grants {
		digests = append(digests, g.Subject)
	}
	present := map[string]map[string]bool{}
	stmts := []string{"CREATE TABLE IF NOT EXISTS " + ck + " (k VARCHAR NOT NULL)", "DELETE FROM " + ck,
		"CREATE TABLE IF NOT EXISTS _consent_sig (ws BIGINT PRIMARY KEY, sig VARCHAR NOT NULL)"}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, vault.SanitizeError(err)
		}
	}
	const batch = 500
	for _, v := range gate.views {
		kd := kds[v.view]
		if kd == "" {
			continue
		}
		present[strings.ToLower(v.table)] = map[string]bool{}
		for i := 0; i < len(digests); i += batch {
			part := digests[i:min(i+batch, len(digests))]
			marks := strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s SELECT k FROM %s WHERE d IN (%s)", ck, quote(kd), marks), part...); err != nil {
				return nil, vault.SanitizeError(err)
			}
			rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT DISTINCT d FROM %s WHERE d IN (%s)", quote(kd), marks), part...)
			if err != nil {
				return nil, vault.SanitizeError(err)
			}
			for rows.Next() {
				var d string
				if err := rows.Scan(&d); err != nil {
					rows.Close()
					return nil, vault.SanitizeError(err)
				}
				present[strings.ToLower(v.table)][d] = true
			}
			rows.Close()
		}
	}
	for _, v := range gate.views {
		var conds []string
		for _, k := range v.keys {
			conds = append(conds, fmt.Sprintf("CAST(%s AS VARCHAR) IN (SELECT k FROM %s)", quote(k), ck))
		}
		q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM %s WHERE %s", qualified(v.view), qualified(v.under), strings.Join(conds, " AND "))
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, vault.SanitizeError(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO _consent_sig VALUES (?, ?)`, gate.ws, signature); err != nil {
		return nil, vault.SanitizeError(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, vault.SanitizeError(err)
	}
	st.sig, st.present = signature, present
	ok = true
	return st.mu.Unlock, nil
}

// qualified quotes a main-schema name or schema.name.
func qualified(name string) string {
	if schema, n, ok := strings.Cut(name, "."); ok {
		return quote(schema) + "." + quote(n)
	}
	return quote(name)
}

// uses lists the grants whose subject has rows in a granted table the query
// names (call with the state locked, after materialize).
func (s *Service) uses(gate *consentGate, sqlText string) []int64 {
	st := s.consentOf(gate.ws)
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(sqlText), func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		words[w] = true
	}
	var out []int64
	for _, g := range gate.grants {
		for table, ds := range st.present {
			if words[table] && ds[g.Subject] {
				out = append(out, g.ID)
				break
			}
		}
	}
	return out
}
