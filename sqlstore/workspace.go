package sqlstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// OpenWorkspace opens a merchant's workspace (开发利用环境, R14.1) over exactly
// the granted entries and fields for the grant's term. The agreement flow
// calls it when an agreement is signed (or tx.workspaceOpen inside its own
// transaction); the operator may open one by hand for a trial or the demo.
func (d *DB) OpenWorkspace(ctx context.Context, actor *shuyu.Actor, g shuyu.WorkspaceGrant) (*shuyu.Workspace, error) {
	if err := shuyu.Authorize(actor, shuyu.ActWorkspaceOpen, shuyu.Resource{Kind: "workspace"}); err != nil {
		return nil, err
	}
	var ws *shuyu.Workspace
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		ws, err = tx.workspaceOpen(g)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ws, nil
}

// workspaceOpen is OpenWorkspace inside an existing transaction (the
// agreement's signing), audited there.
func (tx *Tx) workspaceOpen(g shuyu.WorkspaceGrant) (*shuyu.Workspace, error) {
	var fe []shuyu.FieldError
	add := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	g.Name = strings.TrimSpace(g.Name)
	if n := utf8.RuneCountInString(g.Name); n < 2 || n > 100 {
		add("name", "工作区名称须为 2 至 100 个字符")
	}
	if g.StartsAt.IsZero() || g.EndsAt.IsZero() || !g.EndsAt.After(g.StartsAt) {
		add("ends_at", "使用期限无效：结束时间须晚于开始时间") // R34.1
	}
	if len(g.Entries) == 0 || len(g.Entries) > 50 {
		add("entries", "须授权 1 至 50 个目录")
	}
	if g.K != 0 && g.K < shuyu.MinWorkspaceK {
		add("k", fmt.Sprintf("K 不得低于 %d", shuyu.MinWorkspaceK))
	}
	if g.Epsilon < 0 || g.Epsilon > 100 {
		add("dp_epsilon", "差分隐私预算须在 0 至 100 之间")
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "工作区信息有误 (invalid workspace grant)").WithDetails(fe)
	}
	org, err := tx.org(g.OrgID)
	if err != nil {
		return nil, err
	}
	if org.Kind != shuyu.OrgMerchant {
		return nil, shuyu.Errorf(shuyu.EINVALID, "工作区只能开给数据商 (workspaces are for merchants)")
	}
	ws := &shuyu.Workspace{OrgID: org.ID, OrgName: org.Name, AgreementID: g.AgreementID, Name: g.Name,
		Status: shuyu.WorkspaceActive, StartsAt: g.StartsAt.UTC(), EndsAt: g.EndsAt.UTC(), Epsilon: g.Epsilon, ByConsent: g.ByConsent,
		CreatedAt: tx.now, UpdatedAt: tx.now}
	var grades []shuyu.Grade
	seen := map[int64]bool{}
	for i, ge := range g.Entries {
		e, err := tx.workspaceGrantEntry(ge)
		if err != nil {
			return nil, shuyu.Wrap(fmt.Sprintf("entries[%d]", i), err)
		}
		if seen[e.EntryID] {
			return nil, shuyu.Errorf(shuyu.EINVALID, "目录 %s 重复授权 (entry granted twice)", e.EntryCode)
		}
		seen[e.EntryID] = true
		grades = append(grades, e.Grade)
		ws.Grants = append(ws.Grants, *e)
	}
	// R13.1, R4.1: a workspace only over entries of an authorization in
	// force for its whole period (from today when it started earlier).
	entries := make([]int64, len(ws.Grants))
	for i, e := range ws.Grants {
		entries[i] = e.EntryID
	}
	cover, err := tx.authorizationCovers(entries, "", max(beijingDay(ws.StartsAt), beijingDay(tx.now)),
		beijingDay(ws.EndsAt.Add(-time.Microsecond)))
	if err != nil {
		return nil, err
	}
	// R28.3: the strictest granted grade decides K; a grant may raise it.
	ws.K = max(shuyu.KForGrades(grades...), g.K)
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("sqlstore: workspace secret: %w", err)
	}
	var agreement any
	if g.AgreementID != 0 {
		agreement = g.AgreementID
	}
	id, err := tx.insert(`INSERT INTO workspaces (org_id, agreement_id, name, status, k, epsilon, secret, starts_at, ends_at,
		created_by, created_at, updated_at, by_consent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ws.OrgID, agreement, ws.Name, ws.Status, ws.K, ws.Epsilon, hex.EncodeToString(secret),
		micros(ws.StartsAt), micros(ws.EndsAt), tx.actor.UserID, micros(tx.now), micros(tx.now), boolInt(ws.ByConsent))
	if isUnique(err) {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "该协议已开通工作区 (the agreement already has a workspace)")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open workspace: %w", err)
	}
	ws.ID = id
	var detail []map[string]any
	for _, e := range ws.Grants {
		b, err := json.Marshal(workspaceGrantRow{e.Fields, e.PersonKey, e.OneEach})
		if err != nil {
			return nil, err
		}
		if _, err := tx.exec(`INSERT INTO workspace_grants (workspace_id, entry_id, table_name, fields_json) VALUES (?, ?, ?, ?)`,
			id, e.EntryID, e.Table, string(b)); err != nil {
			return nil, fmt.Errorf("sqlstore: workspace grant: %w", err)
		}
		names := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			names[i] = f.Name + ":" + f.Policy
		}
		detail = append(detail, map[string]any{"entry": e.EntryCode, "table": e.Table, "fields": names})
	}
	return ws, tx.audit(Change{Action: shuyu.AuditWorkspaceOpen, ObjectType: "workspace", ObjectID: id,
		Detail: map[string]any{"org_id": ws.OrgID, "agreement_id": g.AgreementID, "authorization": cover.Number, "k": ws.K, "dp_epsilon": ws.Epsilon,
			"by_consent": ws.ByConsent, "starts_at": ws.StartsAt, "ends_at": ws.EndsAt, "grants": detail}})
}

// workspaceGrantRow is what workspace_grants.fields_json holds.
type workspaceGrantRow struct {
	Fields    []shuyu.WorkspaceField `json:"fields"`
	PersonKey string                 `json:"person_key"`
	OneEach   bool                   `json:"one_each"`
}

// workspaceGrantEntry resolves one granted entry against its published
// revision: only published entries with data in the domain, only their
// fields, each with its derived policy (R2.1, R28.5).
func (tx *Tx) workspaceGrantEntry(ge shuyu.GrantEntry) (*shuyu.WorkspaceEntry, error) {
	id := ge.EntryID
	if id == 0 {
		if err := tx.queryRow(`SELECT id FROM catalog_entries WHERE code = ?`, strings.TrimSpace(ge.EntryCode)).Scan(&id); isNoRows(err) {
			return nil, notFound("目录")
		} else if err != nil {
			return nil, err
		}
	}
	de, err := tx.domainEntry(id)
	if err != nil {
		return nil, err
	}
	if !de.Published {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "目录 %s 尚未发布，不能授权 (entry not published)", de.Code)
	}
	e := &shuyu.WorkspaceEntry{EntryID: de.ID, EntryCode: de.Code, EntryName: de.Name, Table: de.VaultName,
		VaultName: de.VaultName, Grade: shuyu.Grade(de.Grade), OrgID: de.OrgID}
	want, asked := map[string]bool{}, len(ge.Fields) > 0
	for _, f := range ge.Fields {
		want[strings.ToLower(strings.TrimSpace(f))] = true
	}
	var idCol, usccCol, anyIdent string
	unique := map[string]bool{}
	for _, f := range de.Fields {
		cf := shuyu.CatalogField{Name: f.Name, Label: f.Label, DataType: shuyu.FieldType(f.DataType),
			PI: f.PI, SensitivePI: f.SensitivePI, TradeSecret: f.TradeSecret, Grade: shuyu.Grade(f.Grade)}
		pol := shuyu.FieldPolicy(cf)
		if pol == shuyu.PolicyIdentifier {
			low := strings.ToLower(f.Name)
			switch {
			case idCol == "" && (f.Format == "citizen_id" || strings.Contains(f.Label, "身份") || strings.HasPrefix(low, "id_")):
				idCol = f.Name
			case usccCol == "" && (f.Format == "uscc" || strings.Contains(f.Label, "信用代码") || low == "uscc"):
				usccCol = f.Name
			case anyIdent == "":
				anyIdent = f.Name
			}
		}
		unique[f.Name] = f.Unique
		if asked && !want[strings.ToLower(f.Name)] {
			continue
		}
		delete(want, strings.ToLower(f.Name))
		e.Fields = append(e.Fields, shuyu.WorkspaceField{Name: f.Name, Label: f.Label, DataType: cf.DataType,
			Grade: cf.Grade, Policy: pol})
	}
	if len(want) > 0 {
		var missing []string
		for f := range want {
			missing = append(missing, f)
		}
		slices.Sort(missing)
		return nil, shuyu.Errorf(shuyu.EINVALID, "目录 %s 没有信息项 %s (unknown fields)", de.Code, strings.Join(missing, "、"))
	}
	if len(e.Fields) == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "目录 %s 没有可授权的信息项 (no fields)", de.Code)
	}
	// The person counted for K (R28.3): the citizen ID, else the credit
	// code, else any identifier; granted or not, it only counts.
	e.PersonKey = cmp.Or(idCol, usccCol, anyIdent)
	e.OneEach = e.PersonKey != "" && unique[e.PersonKey]
	return e, nil
}
