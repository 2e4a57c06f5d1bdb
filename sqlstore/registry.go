package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/audit"
	"shuyu/ident"
)

// Registration (登记) of resources and products (NREG.1–8). The applicant
// side (a source department for its catalog entries, the operator for the
// products it delivers) submits with the first-registration materials and
// the 存证 evidence; the city authority as stand-in registry accepts
// (3 working days), reviews (20), puts on public notice (10, real-name
// objections stop it) and the sweep assigns the code when the notice ends
// without an open objection. Deadlines come from the working-day calendar
// (Tx.due) and the store's clock.

const rgyCols = `r.id, r.kind, r.type, r.parent_id, r.subject_org_id, o.name, r.entry_id, r.product_id, r.name, r.summary,
	r.materials_json, r.evidence_json, r.evidence_digest, r.status, r.code, r.submitted_at, r.accept_due, r.accepted_at,
	r.review_due, r.notice_start, r.notice_due, r.registered_at, r.valid_from, r.valid_until, r.reason`

const rgyFrom = ` FROM registry_records r JOIN orgs o ON o.id = r.subject_org_id`

func scanRegistry(row interface{ Scan(...any) error }) (*shuyu.RegistryRecord, error) {
	var g shuyu.RegistryRecord
	var parent, entry, product, accepted, reviewDue, noticeStart, noticeDue, registered sql.NullInt64
	var materials string
	var submitted, acceptDue int64
	if err := row.Scan(&g.ID, &g.Kind, &g.Type, &parent, &g.SubjectOrgID, &g.SubjectName, &entry, &product, &g.Name, &g.Summary,
		&materials, &g.Evidence, &g.EvidenceDigest, &g.Status, &g.Code, &submitted, &acceptDue, &accepted, &reviewDue,
		&noticeStart, &noticeDue, &registered, &g.ValidFrom, &g.ValidUntil, &g.Reason); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(materials), &g.Materials); err != nil {
		return nil, fmt.Errorf("sqlstore: registration %d materials: %w", g.ID, err)
	}
	g.ParentID, g.EntryID, g.ProductID = parent.Int64, entry.Int64, product.Int64
	g.SubmittedAt, g.AcceptDue = fromMicros(submitted), fromMicros(acceptDue)
	g.AcceptedAt, g.ReviewDue, g.NoticeStart = fromNullMicros(accepted), fromNullMicros(reviewDue), fromNullMicros(noticeStart)
	g.NoticeDue, g.RegisteredAt = fromNullMicros(noticeDue), fromNullMicros(registered)
	g.Objections = []shuyu.RegistryObjection{}
	return &g, nil
}

func (tx *Tx) registry(id int64) (*shuyu.RegistryRecord, error) {
	g, err := scanRegistry(tx.queryRow(`SELECT `+rgyCols+rgyFrom+` WHERE r.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("登记")
	}
	if err != nil {
		return nil, err
	}
	g.RenewalDue = rgyRenewalDue(g, beijingDay(tx.now))
	rows, err := tx.query(`SELECT id, real_name, text, evidence, status, decision, created_at, decided_at FROM registry_objections
		WHERE record_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var o shuyu.RegistryObjection
		var at int64
		var dec sql.NullInt64
		if err := rows.Scan(&o.ID, &o.RealName, &o.Text, &o.Evidence, &o.Status, &o.Decision, &at, &dec); err != nil {
			return nil, err
		}
		o.CreatedAt, o.DecidedAt = fromMicros(at), fromNullMicros(dec)
		g.Objections = append(g.Objections, o)
	}
	return g, rows.Err()
}

// rgyRenewalDue: registered, and the renewal window (60 days before the
// end of validity, NREG.8) has opened.
func rgyRenewalDue(g *shuyu.RegistryRecord, today string) bool {
	if g.Status != shuyu.RgyRegistered || g.ValidUntil == "" {
		return false
	}
	end, err := parseDay(g.ValidUntil)
	if err != nil {
		return false
	}
	return today >= end.AddDate(0, 0, -shuyu.RgyRenewalWindow).Format(time.DateOnly) && today <= g.ValidUntil
}

func registryResource(g *shuyu.RegistryRecord) shuyu.Resource {
	return shuyu.Resource{Kind: "registry", OrgID: g.SubjectOrgID, Exists: true}
}

// rgyEvidence is what the 存证 digest is over (NREG.2): the registered data
// version as the domain's metadata records it, and the signed audit
// checkpoint current when the evidence was taken.
type rgyEvidence struct {
	Kind       string          `json:"kind"`
	Subject    string          `json:"subject_uscc"`
	Object     json.RawMessage `json:"object"`
	Checkpoint *rgyCheckpoint  `json:"checkpoint"`
	TakenAt    string          `json:"taken_at"`
}

type rgyCheckpoint struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"`
	Head      string `json:"head"`
	Root      string `json:"root"`
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

// rgyResourceVersion is the data version of a catalog entry: its published
// revision and fields, and the mounted version in the domain.
type rgyResourceVersion struct {
	EntryID   int64    `json:"entry_id"`
	EntryCode string   `json:"entry_code"`
	Revision  int64    `json:"published_revision"`
	Fields    []string `json:"fields"`
	Table     string   `json:"domain_table"`
	Version   int64    `json:"domain_version"`
	Rows      int64    `json:"rows"`
	LoadedAt  int64    `json:"loaded_at"`
}

type rgyProductTable struct {
	Name    string `json:"name"`
	Rows    int64  `json:"rows"`
	Columns string `json:"columns"`
	SQLSM3  string `json:"sql_sm3"`
	Sources string `json:"sources"`
}

type rgyProductVersion struct {
	ProductID int64             `json:"product_id"`
	Name      string            `json:"name"`
	Status    string            `json:"status"`
	Round     int64             `json:"round"`
	Filing    string            `json:"filing_no"`
	Tables    []rgyProductTable `json:"tables"`
}

// rgyObjectVersion reads the current data version of the registered
// object; the evidence holds it as of the application, so a later change
// of the data shows as a difference.
func (tx *Tx) rgyObjectVersion(kind string, entryID, productID int64) (json.RawMessage, error) {
	switch kind {
	case shuyu.RgyResource:
		v := rgyResourceVersion{EntryID: entryID, Fields: []string{}}
		var rev sql.NullInt64
		var table sql.NullString
		var version, rows, loaded sql.NullInt64
		err := tx.queryRow(`SELECT e.code, e.published_rev_id, m.vault_name, m.version, m.rows_count, m.loaded_at
			FROM catalog_entries e LEFT JOIN domain_mounts m ON m.entry_id = e.id WHERE e.id = ?`, entryID).
			Scan(&v.EntryCode, &rev, &table, &version, &rows, &loaded)
		if isNoRows(err) {
			return nil, notFound("目录")
		}
		if err != nil {
			return nil, err
		}
		v.Revision, v.Table, v.Version, v.Rows, v.LoadedAt = rev.Int64, table.String, version.Int64, rows.Int64, loaded.Int64
		fr, err := tx.query(`SELECT name, data_type FROM catalog_fields WHERE revision_id = ? ORDER BY name`, rev.Int64)
		if err != nil {
			return nil, err
		}
		for fr.Next() {
			var n, t string
			if err := fr.Scan(&n, &t); err != nil {
				fr.Close()
				return nil, err
			}
			v.Fields = append(v.Fields, n+":"+t)
		}
		fr.Close()
		if err := fr.Err(); err != nil {
			return nil, err
		}
		return json.Marshal(v)
	case shuyu.RgyProduct:
		v := rgyProductVersion{ProductID: productID, Tables: []rgyProductTable{}}
		var filing sql.NullString
		err := tx.queryRow(`SELECT name, status, round, filing_no FROM products WHERE id = ?`, productID).Scan(&v.Name, &v.Status, &v.Round, &filing)
		if isNoRows(err) {
			return nil, notFound("数据产品")
		}
		if err != nil {
			return nil, err
		}
		v.Filing = filing.String
		tr, err := tx.query(`SELECT t.id, t.name, t.rows_count, t.columns_json, t.sql_text FROM product_tables t WHERE t.product_id = ? ORDER BY t.n`, productID)
		if err != nil {
			return nil, err
		}
		var ids []int64
		for tr.Next() {
			var id int64
			var t rgyProductTable
			var sqlText string
			if err := tr.Scan(&id, &t.Name, &t.Rows, &t.Columns, &sqlText); err != nil {
				tr.Close()
				return nil, err
			}
			sum := sm3.Sum([]byte(sqlText))
			t.SQLSM3 = hex.EncodeToString(sum[:])
			ids = append(ids, id)
			v.Tables = append(v.Tables, t)
		}
		tr.Close()
		if err := tr.Err(); err != nil {
			return nil, err
		}
		for i, id := range ids {
			sr, err := tx.query(`SELECT entry_id, version FROM product_sources WHERE table_id = ? ORDER BY entry_id`, id)
			if err != nil {
				return nil, err
			}
			var parts []string
			for sr.Next() {
				var e, ver int64
				if err := sr.Scan(&e, &ver); err != nil {
					sr.Close()
					return nil, err
				}
				parts = append(parts, fmt.Sprintf("%d@%d", e, ver))
			}
			sr.Close()
			if err := sr.Err(); err != nil {
				return nil, err
			}
			v.Tables[i].Sources = strings.Join(parts, ",")
		}
		return json.Marshal(v)
	}
	return nil, shuyu.Errorf(shuyu.EINVALID, "登记类别无效 (bad kind)")
}

// rgyLatestCheckpoint is the newest signed audit checkpoint, or nil.
func (tx *Tx) rgyLatestCheckpoint() (*rgyCheckpoint, error) {
	var c rgyCheckpoint
	var t int64
	var head, root, pub, sig []byte
	err := tx.queryRow(`SELECT seq, time, head, root, public_key, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`).
		Scan(&c.Seq, &t, &head, &root, &pub, &sig)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Time = fromMicros(t).Format(time.RFC3339Nano)
	c.Head, c.Root, c.PublicKey, c.Signature = hex.EncodeToString(head), hex.EncodeToString(root), hex.EncodeToString(pub), hex.EncodeToString(sig)
	return &c, nil
}

// SubmitRegistry records an application for registration (NREG.1, NREG.3,
// NREG.4, NREG.5): a department for a resource of its own catalog entry
// within the operator's authorization, the operator for a released
// product. The 存证 evidence is taken in the same transaction, after a
// fresh audit checkpoint has been signed.
func (d *DB) SubmitRegistry(ctx context.Context, actor *shuyu.Actor, in shuyu.RegistryInput) (*shuyu.RegistryRecord, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistrySubmit, shuyu.Resource{Kind: "registry"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	// The evidence binds the current signed checkpoint: sign one now so it
	// covers everything up to this application (nothing to sign is fine).
	if _, err := d.Checkpoint(ctx, shuyu.System); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		org, err := tx.org(actor.OrgID)
		if err != nil {
			return err
		}
		if !ident.ValidUSCC(org.Code) {
			return shuyu.Errorf(shuyu.EINVALID, "登记主体“%s”没有有效的统一社会信用代码，请先由系统管理员补录 (the subject needs a valid USCC)", org.Name)
		}
		today := beijingDay(tx.now)
		if in.Kind == shuyu.RgyResource {
			in.ProductID = 0
		} else {
			in.EntryID = 0
		}
		// A change, correction, renewal or cancellation is about its
		// parent's object (rgyCheckParent sets it).
		if in.Type != shuyu.RgyFirst {
			if err := tx.rgyCheckParent(&in, actor.OrgID, today); err != nil {
				return err
			}
		}
		switch in.Kind {
		case shuyu.RgyResource:
			if !actor.Has(shuyu.RoleDept) {
				return shuyu.Errorf(shuyu.EFORBIDDEN, "公共数据资源由其来源部门登记 (resources are registered by their source department)")
			}
			var owner int64
			var pub sql.NullInt64
			err := tx.queryRow(`SELECT org_id, published_rev_id FROM catalog_entries WHERE id = ?`, in.EntryID).Scan(&owner, &pub)
			if isNoRows(err) || err == nil && owner != actor.OrgID {
				return shuyu.Errorf(shuyu.ENOTFOUND, "目录不存在 (entry not found)").
					WithDetails([]shuyu.FieldError{{Field: "entry_id", Message: "只能登记本部门的目录"}})
			}
			if err != nil {
				return err
			}
			if !pub.Valid {
				return shuyu.Errorf(shuyu.EINVALID, "目录尚未发布，不能登记 (entry not published)")
			}
			// NREG.1: resources within the authorized-operation scope.
			if _, err := tx.authorizationCovers([]int64{in.EntryID}, "", today, today); err != nil {
				return err
			}
		case shuyu.RgyProduct:
			if !actor.Has(shuyu.RoleOperatorAdmin) {
				return shuyu.Errorf(shuyu.EFORBIDDEN, "产品和服务由运营机构登记 (products are registered by the operator)")
			}
			var status string
			err := tx.queryRow(`SELECT status FROM products WHERE id = ?`, in.ProductID).Scan(&status)
			if isNoRows(err) {
				return shuyu.Errorf(shuyu.ENOTFOUND, "数据产品不存在 (product not found)")
			}
			if err != nil {
				return err
			}
			if status != shuyu.ProductReleased {
				return shuyu.Errorf(shuyu.EINVALID, "数据产品上架交付后方可登记 (only a released product is registered)")
			}
		}
		// Only after the object is known to be the actor's: is it already
		// registered?
		if in.Type == shuyu.RgyFirst {
			if err := tx.rgyCheckParent(&in, actor.OrgID, today); err != nil {
				return err
			}
		}
		object, err := tx.rgyObjectVersion(in.Kind, in.EntryID, in.ProductID)
		if err != nil {
			return err
		}
		cp, err := tx.rgyLatestCheckpoint()
		if err != nil {
			return err
		}
		ev, err := json.Marshal(rgyEvidence{Kind: in.Kind, Subject: org.Code, Object: object, Checkpoint: cp,
			TakenAt: tx.now.Format(time.RFC3339Nano)})
		if err != nil {
			return err
		}
		sum := sm3.Sum(ev)
		materials, _ := json.Marshal(in.Materials)
		due, err := tx.due(tx.now, shuyu.RgyAcceptDays)
		if err != nil {
			return err
		}
		id, err = tx.insert(`INSERT INTO registry_records (kind, type, parent_id, subject_org_id, entry_id, product_id, name, summary,
			materials_json, evidence_json, evidence_digest, status, submitted_by, submitted_at, accept_due, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.Kind, in.Type, nullID(in.ParentID), actor.OrgID,
			nullID(in.EntryID), nullID(in.ProductID), in.Name, in.Summary, string(materials), string(ev), hex.EncodeToString(sum[:]),
			shuyu.RgySubmitted, actor.UserID, micros(tx.now), micros(due), micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditRegistrySubmit, ObjectType: "registry", ObjectID: id,
			Detail: map[string]any{"kind": in.Kind, "type": in.Type, "parent_id": in.ParentID, "entry_id": in.EntryID,
				"product_id": in.ProductID, "evidence_sm3": hex.EncodeToString(sum[:]), "accept_due": due, "rule": "NREG.3"}}); err != nil {
			return err
		}
		return tx.rgyNotifyRegistry(id, fmt.Sprintf("待受理登记申请：%s，受理期限 %s", in.Name, reviewFmtDue(due)))
	})
	if err != nil {
		return nil, err
	}
	return d.Registry(ctx, actor, id)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// rgyCheckParent: a first registration needs no live one of the same
// object; the others need the registered parent of the same subject and
// object, no other pending application on it, and a renewal the window
// of 60 days before expiry (NREG.8).
func (tx *Tx) rgyCheckParent(in *shuyu.RegistryInput, org int64, today string) error {
	var pending int
	if in.Type == shuyu.RgyFirst {
		if err := tx.queryRow(`SELECT count(*) FROM registry_records WHERE kind = ? AND COALESCE(entry_id, 0) = ? AND COALESCE(product_id, 0) = ?
			AND status NOT IN (?, ?, ?, ?, ?)`, in.Kind, in.EntryID, in.ProductID, shuyu.RgyRefused, shuyu.RgyCancelled, shuyu.RgyLapsed,
			shuyu.RgySuperseded, shuyu.RgyDone).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该对象已登记或正在登记，请办理变更、更正、续期或注销 (already registered)")
		}
		return nil
	}
	p, err := tx.registry(in.ParentID)
	if err != nil || p.SubjectOrgID != org {
		return shuyu.Errorf(shuyu.ENOTFOUND, "原登记不存在 (registration not found)").
			WithDetails([]shuyu.FieldError{{Field: "parent_id", Message: "原登记不存在"}})
	}
	if p.Status != shuyu.RgyRegistered {
		return shuyu.Errorf(shuyu.ECONFLICT, "原登记不在有效状态 (the registration is not in force)")
	}
	if p.Kind != in.Kind {
		return shuyu.Errorf(shuyu.EINVALID, "登记类别须与原登记一致 (kind differs)")
	}
	in.EntryID, in.ProductID = p.EntryID, p.ProductID
	if err := tx.queryRow(`SELECT count(*) FROM registry_records WHERE parent_id = ? AND status IN (?, ?, ?, ?, ?)`, p.ID,
		shuyu.RgySubmitted, shuyu.RgyMaterial, shuyu.RgyAccepted, shuyu.RgyNotice, shuyu.RgyObjected).Scan(&pending); err != nil {
		return err
	}
	if pending > 0 {
		return shuyu.Errorf(shuyu.ECONFLICT, "原登记已有办理中的申请 (another application is pending)")
	}
	if in.Type == shuyu.RgyRenewal && !rgyRenewalDue(p, today) {
		end, _ := parseDay(p.ValidUntil)
		return shuyu.Errorf(shuyu.EINVALID, "续期须在有效期届满前 %d 日内申请（自 %s 起） (renewal window not open, NREG.8)",
			shuyu.RgyRenewalWindow, end.AddDate(0, 0, -shuyu.RgyRenewalWindow).Format(time.DateOnly))
	}
	return nil
}

// rgyNotifyRegistry tells the city authority (the stand-in registry).
func (tx *Tx) rgyNotifyRegistry(id int64, title string) error {
	orgs, err := tx.orgsOfKind(shuyu.OrgAuthority)
	if err != nil {
		return err
	}
	return tx.notifyOrgs(orgs, Notice{Kind: "registry.todo", Title: title, ObjectType: "registry", ObjectID: fmt.Sprint(id),
		Link: fmt.Sprintf("/registry/%d", id)})
}

// Registry returns one registration to its subject and supervisors.
func (d *DB) Registry(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.RegistryRecord, error) {
	var g *shuyu.RegistryRecord
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if g, err = tx.registry(id); err != nil {
			return err
		}
		return shuyu.Authorize(actor, shuyu.ActRegistryRead, registryResource(g))
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Registries lists the registrations the actor may read (a department
// only its own), newest first; status filters when given.
func (d *DB) Registries(ctx context.Context, actor *shuyu.Actor, status string) ([]*shuyu.RegistryRecord, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistryRead, shuyu.Resource{Kind: "registry"}); err != nil {
		return nil, err
	}
	out := []*shuyu.RegistryRecord{}
	err := d.view(ctx, func(tx *Tx) error {
		q, args := `SELECT `+rgyCols+rgyFrom, []any{}
		if !shuyu.Can(actor, shuyu.ActRegistryRead, shuyu.Resource{Kind: "registry", OrgID: -1, Exists: true}) {
			q += ` WHERE r.subject_org_id = ?`
			args = append(args, actor.OrgID)
		}
		if status != "" {
			if strings.Contains(q, "WHERE") {
				q += ` AND r.status = ?`
			} else {
				q += ` WHERE r.status = ?`
			}
			args = append(args, status)
		}
		rows, err := tx.query(q+` ORDER BY r.id DESC LIMIT 1000`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		today := beijingDay(tx.now)
		for rows.Next() {
			g, err := scanRegistry(rows)
			if err != nil {
				return err
			}
			g.Evidence = ""
			g.RenewalDue = rgyRenewalDue(g, today)
			if shuyu.Can(actor, shuyu.ActRegistryRead, registryResource(g)) {
				out = append(out, g)
			}
		}
		return rows.Err()
	})
	return out, err
}

// registryEvents maps the registry's steps to their audit actions.
var registryEvents = map[string]shuyu.AuditAction{
	"accept":           shuyu.AuditRegistryAccept,
	"request_material": shuyu.AuditRegistryRequestMaterial,
	"refuse":           shuyu.AuditRegistryRefuse,
	"pass":             shuyu.AuditRegistryNotice,
	"complete":         shuyu.AuditRegistryCancel,
	"dismiss":          shuyu.AuditRegistryObjectionDecide,
	"uphold":           shuyu.AuditRegistryObjectionDecide,
}

// DecideRegistry is one step of the stand-in registry (NREG.3, NREG.6):
// accept (the review clock of 20 working days starts), request_material
// (once, all missing items together), refuse, pass the formal review (the
// public notice of 10 working days starts; a cancellation is completed
// instead), and decide an objection (dismiss: the notice goes on; uphold:
// registration refused).
func (d *DB) DecideRegistry(ctx context.Context, actor *shuyu.Actor, id int64, step, reason string) (*shuyu.RegistryRecord, error) {
	var out *shuyu.RegistryRecord
	err := d.update(ctx, actor, func(tx *Tx) error {
		g, err := tx.registry(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActRegistryDecide, registryResource(g)); err != nil {
			if shuyu.Can(actor, shuyu.ActRegistryRead, registryResource(g)) {
				return shuyu.Errorf(shuyu.EFORBIDDEN, "仅登记机构可办理 (registry only)")
			}
			return err
		}
		act, ok := registryEvents[step]
		if !ok {
			return shuyu.Errorf(shuyu.EINVALID, "未知的办理步骤 (unknown step)")
		}
		if g.Type == shuyu.RgyCancellation && step == "pass" {
			step = "complete"
		}
		if g.Type != shuyu.RgyCancellation && step == "complete" {
			return shuyu.Errorf(shuyu.EINVALID, "只有注销申请可直接办结 (only a cancellation completes)")
		}
		to, err := shuyu.RegistryMachine.Next(g.Status, step)
		if err != nil {
			return err
		}
		reason = strings.TrimSpace(reason)
		if (step == "refuse" || step == "request_material" || step == "uphold" || step == "dismiss") && len([]rune(reason)) < 4 {
			return shuyu.Errorf(shuyu.EINVALID, "须说明理由（至少 4 个字） (reason required)").
				WithDetails([]shuyu.FieldError{{Field: "reason", Message: "须说明理由"}})
		}
		if step == "request_material" {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM audit_events WHERE action = ? AND object_type = 'registry' AND object_id = ?`,
				shuyu.AuditRegistryRequestMaterial, fmt.Sprint(id)).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return shuyu.Errorf(shuyu.ECONFLICT, "补正材料只能一次性告知 (missing items are requested once, NREG.6)")
			}
		}
		set, args := `status = ?, reason = ?, updated_at = ?`, []any{to, reason, micros(tx.now)}
		detail := map[string]any{"step": step, "from": g.Status, "to": to, "rule": "NREG.6"}
		switch step {
		case "accept":
			due, err := tx.due(tx.now, shuyu.RgyReviewDays)
			if err != nil {
				return err
			}
			set += `, accepted_at = ?, review_due = ?`
			args = append(args, micros(tx.now), micros(due))
			detail["review_due"] = due
			if g.Type == shuyu.RgyCancellation {
				// NREG.6: a cancellation is completed within 10 working days.
				due, err := tx.due(tx.now, shuyu.RgyCancelDays)
				if err != nil {
					return err
				}
				args[len(args)-1] = micros(due)
				detail["review_due"] = due
			}
		case "pass":
			due, err := tx.due(tx.now, shuyu.RgyNoticeDays)
			if err != nil {
				return err
			}
			set += `, reviewed_at = ?, notice_start = ?, notice_due = ?`
			args = append(args, micros(tx.now), micros(tx.now), micros(due))
			detail["notice_due"] = due
		case "complete":
			set += `, reviewed_at = ?`
			args = append(args, micros(tx.now))
			if _, err := tx.exec(`UPDATE registry_records SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
				shuyu.RgyCancelled, micros(tx.now), g.ParentID, shuyu.RgyRegistered); err != nil {
				return err
			}
			detail["cancelled"] = g.ParentID
		case "dismiss", "uphold":
			st := map[string]string{"dismiss": "dismissed", "uphold": "upheld"}[step]
			if _, err := tx.exec(`UPDATE registry_objections SET status = ?, decision = ?, decided_at = ? WHERE record_id = ? AND status = 'open'`,
				st, reason, micros(tx.now), id); err != nil {
				return err
			}
		}
		args = append(args, id, g.Status)
		res, err := tx.exec(`UPDATE registry_records SET `+set+` WHERE id = ? AND status = ?`, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return shuyu.Errorf(shuyu.ECONFLICT, "登记状态已变化，请刷新 (state changed)")
		}
		if err := tx.audit(Change{Action: act, ObjectType: "registry", ObjectID: id, Reason: reason, Detail: detail}); err != nil {
			return err
		}
		if err := tx.notify(Notice{OrgID: g.SubjectOrgID, Kind: "registry." + to, Title: fmt.Sprintf("登记申请“%s”：%s", g.Name, rgyStatusZH[to]),
			ObjectType: "registry", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/registry/%d", id)}); err != nil {
			return err
		}
		out, err = tx.registry(id)
		return err
	})
	return out, err
}

var rgyStatusZH = map[string]string{shuyu.RgySubmitted: "待受理", shuyu.RgyMaterial: "请一次性补正材料", shuyu.RgyAccepted: "已受理",
	shuyu.RgyNotice: "已通过形式审核，进入公示", shuyu.RgyObjected: "公示期间收到异议", shuyu.RgyRegistered: "已登记并赋码",
	shuyu.RgyRefused: "不予登记", shuyu.RgySuperseded: "已被取代", shuyu.RgyCancelled: "已注销", shuyu.RgyLapsed: "有效期届满未续期",
	shuyu.RgyDone: "已办结", shuyu.RgyRevoked: "因材料虚假被撤销"}

// SupplementRegistry: the applicant hands in the requested materials;
// the application is back for acceptance with a new 3-day limit.
func (d *DB) SupplementRegistry(ctx context.Context, actor *shuyu.Actor, id int64, m shuyu.RegistryMaterials) (*shuyu.RegistryRecord, error) {
	var out *shuyu.RegistryRecord
	err := d.update(ctx, actor, func(tx *Tx) error {
		g, err := tx.registry(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActRegistrySubmit, registryResource(g)); err != nil {
			return err
		}
		to, err := shuyu.RegistryMachine.Next(g.Status, "supplement")
		if err != nil {
			return err
		}
		in := shuyu.RegistryInput{Kind: g.Kind, Type: g.Type, ParentID: g.ParentID, Name: g.Name, Summary: g.Summary, Materials: m}
		if err := in.Validate(); err != nil {
			return err
		}
		due, err := tx.due(tx.now, shuyu.RgyAcceptDays)
		if err != nil {
			return err
		}
		materials, _ := json.Marshal(in.Materials)
		if _, err := tx.exec(`UPDATE registry_records SET status = ?, materials_json = ?, accept_due = ?, reason = '', updated_at = ? WHERE id = ?`,
			to, string(materials), micros(due), micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditRegistrySupplement, ObjectType: "registry", ObjectID: id,
			Detail: map[string]any{"accept_due": due, "rule": "NREG.6"}}); err != nil {
			return err
		}
		if err := tx.rgyNotifyRegistry(id, fmt.Sprintf("登记申请已补正材料：%s，受理期限 %s", g.Name, reviewFmtDue(due))); err != nil {
			return err
		}
		out, err = tx.registry(id)
		return err
	})
	return out, err
}

// ObjectRegistry records a real-name objection during the public notice
// (NREG.6): the objector is the logged-in account, whose name is recorded;
// evidence is required; the notice stops until the registry decides.
func (d *DB) ObjectRegistry(ctx context.Context, actor *shuyu.Actor, id int64, text, evidence string) (*shuyu.RegistryObjection, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistryObject, shuyu.Resource{Kind: "registry"}); err != nil {
		return nil, err
	}
	text, evidence = strings.TrimSpace(text), strings.TrimSpace(evidence)
	var fe []shuyu.FieldError
	if n := len([]rune(text)); n < 10 || n > 2000 {
		fe = append(fe, shuyu.FieldError{Field: "text", Message: "异议内容应为 10 到 2000 个字"})
	}
	if n := len([]rune(evidence)); n < 4 || n > 2000 {
		fe = append(fe, shuyu.FieldError{Field: "evidence", Message: "须提供证据材料说明"})
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "异议须实名并附证据 (objection incomplete)").WithDetails(fe)
	}
	var out *shuyu.RegistryObjection
	err := d.update(ctx, actor, func(tx *Tx) error {
		g, err := tx.registry(id)
		if err != nil {
			return err
		}
		if g.Status != shuyu.RgyNotice && g.Status != shuyu.RgyObjected {
			return notFound("公示中的登记")
		}
		var name string
		if err := tx.queryRow(`SELECT display_name FROM users WHERE id = ?`, actor.UserID).Scan(&name); err != nil {
			return err
		}
		oid, err := tx.insert(`INSERT INTO registry_objections (record_id, user_id, real_name, text, evidence, status, created_at)
			VALUES (?, ?, ?, ?, ?, 'open', ?)`, id, actor.UserID, name, text, evidence, micros(tx.now))
		if err != nil {
			return err
		}
		if g.Status == shuyu.RgyNotice {
			if _, err := tx.exec(`UPDATE registry_records SET status = ?, updated_at = ? WHERE id = ?`, shuyu.RgyObjected, micros(tx.now), id); err != nil {
				return err
			}
		}
		if err := tx.audit(Change{Action: shuyu.AuditRegistryObject, ObjectType: "registry", ObjectID: id,
			Detail: map[string]any{"objection_id": oid, "rule": "NREG.6"}}); err != nil {
			return err
		}
		if err := tx.rgyNotifyRegistry(id, "公示期间收到实名异议："+g.Name); err != nil {
			return err
		}
		out = &shuyu.RegistryObjection{ID: oid, RealName: name, Text: text, Evidence: evidence, Status: "open", CreatedAt: tx.now}
		return nil
	})
	return out, err
}

// PublicRegistry is the public side of the registry: notices in progress
// and registrations with their codes (NREG.6: subject, kind, name, short
// description). No materials, evidence or objector is shown.
func (d *DB) PublicRegistry(ctx context.Context) ([]shuyu.RegistryNotice, error) {
	out := []shuyu.RegistryNotice{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT r.id, r.kind, r.type, o.name, r.name, r.summary, r.status, r.notice_start, r.notice_due, r.code, r.valid_until`+
			rgyFrom+` WHERE r.status IN (?, ?, ?, ?, ?) ORDER BY r.updated_at DESC, r.id DESC LIMIT 500`,
			shuyu.RgyNotice, shuyu.RgyObjected, shuyu.RgyRegistered, shuyu.RgyLapsed, shuyu.RgyRevoked)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n shuyu.RegistryNotice
			var start, due sql.NullInt64
			if err := rows.Scan(&n.ID, &n.Kind, &n.Type, &n.SubjectName, &n.Name, &n.Summary, &n.Status, &start, &due, &n.Code, &n.ValidUntil); err != nil {
				return err
			}
			n.NoticeStart, n.NoticeDue = fromNullMicros(start), fromNullMicros(due)
			out = append(out, n)
		}
		return rows.Err()
	})
	return out, err
}

// EvidenceCheck is the result of verifying a registration's 存证.
type EvidenceCheck struct {
	DigestOK     bool   `json:"digest_ok"`      // SM3 of the stored evidence equals the recorded digest
	DataOK       bool   `json:"data_unchanged"` // the registered object's data version is still the one in the evidence
	CheckpointOK bool   `json:"checkpoint_ok"`  // the checkpoint is in the trail, unchanged, and its SM2 signature verifies
	Valid        bool   `json:"valid"`
	Digest       string `json:"digest"`
}

// VerifyRegistryEvidence recomputes the 存证 (NREG.2): the digest over the
// stored evidence, the object's current data version against the one in
// the evidence, and the checkpoint against the trail and its signature. It
// fails after the data changes.
func (d *DB) VerifyRegistryEvidence(ctx context.Context, actor *shuyu.Actor, id int64) (*EvidenceCheck, error) {
	g, err := d.Registry(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	c := &EvidenceCheck{Digest: g.EvidenceDigest}
	sum := sm3.Sum([]byte(g.Evidence))
	c.DigestOK = hex.EncodeToString(sum[:]) == g.EvidenceDigest
	var ev rgyEvidence
	if err := json.Unmarshal([]byte(g.Evidence), &ev); err != nil {
		return c, nil
	}
	err = d.view(ctx, func(tx *Tx) error {
		now, err := tx.rgyObjectVersion(g.Kind, g.EntryID, g.ProductID)
		if err != nil {
			return err
		}
		c.DataOK = string(now) == string(ev.Object)
		if ev.Checkpoint == nil {
			return nil
		}
		var cp shuyu.Checkpoint
		var t int64
		err = tx.queryRow(`SELECT seq, time, head, root, prev_seq, public_key, signature FROM audit_checkpoints WHERE seq = ?`, ev.Checkpoint.Seq).
			Scan(&cp.Seq, &t, &cp.Head, &cp.Root, &cp.PrevSeq, &cp.PublicKey, &cp.Signature)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		cp.Time = fromMicros(t)
		c.CheckpointOK = hex.EncodeToString(cp.Root) == ev.Checkpoint.Root && hex.EncodeToString(cp.Signature) == ev.Checkpoint.Signature &&
			hex.EncodeToString(cp.PublicKey) == ev.Checkpoint.PublicKey && audit.VerifyCheckpoint(&cp, cp.PublicKey) == nil
		if c.CheckpointOK {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM audit_keys WHERE public_key = ?`, cp.PublicKey).Scan(&n); err != nil {
				return err
			}
			c.CheckpointOK = n > 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Valid = c.DigestOK && c.DataOK && c.CheckpointOK
	return c, nil
}

// RegistryImport is a registration made before the platform took over,
// recorded with its result as received (code and validity).
type RegistryImport struct {
	shuyu.RegistryInput
	SubjectOrgID int64  `json:"subject_org_id"`
	Code         string `json:"code"`
	ValidFrom    string `json:"valid_from"`
	ValidUntil   string `json:"valid_until"`
}

// ImportRegistry records, as the registry, a registration already made
// (NREG.7: results are recorded as received): the code must follow the
// draft structure with a correct check digit (ident.ValidRegistryCode) and
// name the subject's USCC; the validity is at most 3 years. The evidence
// is taken now, so it attests the data as of the import.
func (d *DB) ImportRegistry(ctx context.Context, actor *shuyu.Actor, in RegistryImport) (*shuyu.RegistryRecord, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistryDecide, shuyu.Resource{Kind: "registry"}); err != nil {
		return nil, err
	}
	in.Type = shuyu.RgyFirst
	if err := in.RegistryInput.Validate(); err != nil {
		return nil, err
	}
	from, err1 := parseDay(in.ValidFrom)
	until, err2 := parseDay(in.ValidUntil)
	if err1 != nil || err2 != nil || !until.After(from) || until.After(from.AddDate(shuyu.RgyValidityYears, 0, 0)) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "有效期须为 YYYY-MM-DD，且不超过 3 年 (validity of at most 3 years, NREG.8)").
			WithDetails([]shuyu.FieldError{{Field: "valid_until", Message: "有效期不超过 3 年"}})
	}
	if !ident.ValidRegistryCode(in.Code) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "登记编号结构或校验位不正确 (bad registration code, NREG.7)").
			WithDetails([]shuyu.FieldError{{Field: "code", Message: "登记编号结构或校验位不正确"}})
	}
	if _, err := d.Checkpoint(ctx, shuyu.System); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		org, err := tx.org(in.SubjectOrgID)
		if err != nil {
			return err
		}
		if in.Code[1:19] != org.Code {
			return shuyu.Errorf(shuyu.EINVALID, "登记编号中的统一社会信用代码与登记主体不符 (code names another subject)")
		}
		if in.Kind == shuyu.RgyResource {
			var owner int64
			if err := tx.queryRow(`SELECT org_id FROM catalog_entries WHERE id = ?`, in.EntryID).Scan(&owner); err != nil || owner != org.ID {
				return shuyu.Errorf(shuyu.EINVALID, "目录不属于登记主体 (entry of another subject)")
			}
			in.ProductID = 0
		} else {
			in.EntryID = 0
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM registry_records WHERE code = ?`, in.Code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "登记编号已存在 (code exists)")
		}
		object, err := tx.rgyObjectVersion(in.Kind, in.EntryID, in.ProductID)
		if err != nil {
			return err
		}
		cp, err := tx.rgyLatestCheckpoint()
		if err != nil {
			return err
		}
		ev, _ := json.Marshal(rgyEvidence{Kind: in.Kind, Subject: org.Code, Object: object, Checkpoint: cp, TakenAt: tx.now.Format(time.RFC3339Nano)})
		sum := sm3.Sum(ev)
		materials, _ := json.Marshal(in.Materials)
		id, err = tx.insert(`INSERT INTO registry_records (kind, type, subject_org_id, entry_id, product_id, name, summary, materials_json,
			evidence_json, evidence_digest, status, code, submitted_by, submitted_at, accept_due, registered_at, valid_from, valid_until, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.Kind, in.Type, org.ID, nullID(in.EntryID), nullID(in.ProductID),
			in.Name, in.Summary, string(materials), string(ev), hex.EncodeToString(sum[:]), shuyu.RgyRegistered, in.Code, actor.UserID,
			micros(tx.now), micros(tx.now), micros(tx.now), in.ValidFrom, in.ValidUntil, micros(tx.now))
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditRegistryImport, ObjectType: "registry", ObjectID: id,
			Detail: map[string]any{"code": in.Code, "valid_from": in.ValidFrom, "valid_until": in.ValidUntil, "rule": "NREG.7"}})
	})
	if err != nil {
		return nil, err
	}
	return d.Registry(ctx, actor, id)
}
