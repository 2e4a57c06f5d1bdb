package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"shuyu"
)

// Onboarding rules (R18.1) and agreement templates (R19.1) are versioned
// documents: the operator drafts, the authority approves, and only the
// latest approved version of a kind is used. Old versions stay for the
// record (registrations and agreements cite the version they used).

const docCols = `id, kind, version, title, body, status, created_by, created_at, approved_by, approved_at`

func scanDoc(r interface{ Scan(...any) error }) (*shuyu.Document, error) {
	var doc shuyu.Document
	var created int64
	var by, at sql.NullInt64
	if err := r.Scan(&doc.ID, &doc.Kind, &doc.Version, &doc.Title, &doc.Body, &doc.Status, &doc.CreatedBy, &created,
		&by, &at); err != nil {
		return nil, err
	}
	doc.CreatedAt = fromMicros(created)
	doc.ApprovedBy = by.Int64
	doc.ApprovedAt = fromNullMicros(at)
	if doc.Kind == shuyu.DocAgreementTemplate {
		if err := json.Unmarshal([]byte(doc.Body), &doc.Clauses); err != nil {
			return nil, fmt.Errorf("document %d clauses: %w", doc.ID, err)
		}
		doc.Body = ""
	}
	return &doc, nil
}

func (tx *Tx) document(id int64) (*shuyu.Document, error) {
	doc, err := scanDoc(tx.queryRow(`SELECT `+docCols+` FROM review_documents WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("文本")
	}
	return doc, err
}

// currentDocument is the approved version of kind in use, or an
// EUNPROCESSABLE error saying the authority has not approved one yet.
func (tx *Tx) currentDocument(kind string) (*shuyu.Document, error) {
	doc, err := scanDoc(tx.queryRow(`SELECT `+docCols+` FROM review_documents WHERE kind = ? AND status = ?
		ORDER BY version DESC LIMIT 1`, kind, shuyu.DocApproved))
	if isNoRows(err) {
		what := "数据商入驻规则 (R18.1)"
		if kind == shuyu.DocAgreementTemplate {
			what = "开发利用格式协议范本 (R19.1)"
		}
		return nil, shuyu.Errorf(shuyu.EUNPROCESSABLE, "%s尚未经主管部门审定，暂不能使用 (no approved version yet)", what)
	}
	return doc, err
}

// CurrentDocument returns the approved version in use; the onboarding
// rules are public (shown to applicants before they register).
func (d *DB) CurrentDocument(ctx context.Context, kind string) (*shuyu.Document, error) {
	var doc *shuyu.Document
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		doc, err = tx.currentDocument(kind)
		return err
	})
	return doc, err
}

// Documents lists every version of kind.
func (d *DB) Documents(ctx context.Context, actor *shuyu.Actor, kind string) ([]*shuyu.Document, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDocumentRead, shuyu.Resource{Kind: "document"}); err != nil {
		return nil, err
	}
	var out []*shuyu.Document
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+docCols+` FROM review_documents WHERE kind = ? ORDER BY version DESC`, kind)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			doc, err := scanDoc(rows)
			if err != nil {
				return err
			}
			out = append(out, doc)
		}
		return rows.Err()
	})
	return out, err
}

// Document returns one version.
func (d *DB) Document(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Document, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDocumentRead, shuyu.Resource{Kind: "document"}); err != nil {
		return nil, err
	}
	var doc *shuyu.Document
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		doc, err = tx.document(id)
		return err
	})
	return doc, err
}

// CreateDocument stores a new draft version.
func (d *DB) CreateDocument(ctx context.Context, actor *shuyu.Actor, doc *shuyu.Document) error {
	if err := shuyu.Authorize(actor, shuyu.ActDocumentCreate, shuyu.Resource{Kind: "document"}); err != nil {
		return err
	}
	doc.Title = strings.TrimSpace(doc.Title)
	if err := doc.Validate(); err != nil {
		return err
	}
	body := doc.Body
	if doc.Kind == shuyu.DocAgreementTemplate {
		b, _ := json.Marshal(doc.Clauses)
		body = string(b)
		doc.Body = ""
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		if err := tx.queryRow(`SELECT COALESCE(MAX(version), 0) + 1 FROM review_documents WHERE kind = ?`, doc.Kind).
			Scan(&doc.Version); err != nil {
			return err
		}
		doc.Status, doc.CreatedBy, doc.CreatedAt = shuyu.DocDraft, actor.UserID, tx.now
		id, err := tx.insert(`INSERT INTO review_documents (kind, version, title, body, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, doc.Kind, doc.Version, doc.Title, body, doc.Status, doc.CreatedBy, micros(tx.now))
		if err != nil {
			return err
		}
		doc.ID = id
		return tx.audit(Change{Action: shuyu.AuditDocumentCreate, ObjectType: "document", ObjectID: id,
			Detail: map[string]any{"kind": doc.Kind, "version": doc.Version, "title": doc.Title}})
	})
}

// ApproveDocument is the authority's approval (R18.1, R19.1); the version
// approved before it is retired.
func (d *DB) ApproveDocument(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Document, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDocumentApprove, shuyu.Resource{Kind: "document"}); err != nil {
		return nil, err
	}
	var doc *shuyu.Document
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if doc, err = tx.document(id); err != nil {
			return err
		}
		to, err := shuyu.DocumentMachine.Next(doc.Status, "approve")
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE review_documents SET status = ? WHERE kind = ? AND status = ?`,
			shuyu.DocRetired, doc.Kind, shuyu.DocApproved); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE review_documents SET status = ?, approved_by = ?, approved_at = ? WHERE id = ?`,
			to, actor.UserID, micros(tx.now), id); err != nil {
			return err
		}
		doc.Status, doc.ApprovedBy = to, actor.UserID
		now := tx.now
		doc.ApprovedAt = &now
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(ops, Notice{Kind: "document.approved", Title: fmt.Sprintf("主管部门已审定《%s》第 %d 版", doc.Title, doc.Version),
			ObjectType: "document", ObjectID: fmt.Sprint(id), Link: "/review/documents"}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditDocumentApprove, ObjectType: "document", ObjectID: id,
			Detail: map[string]any{"kind": doc.Kind, "version": doc.Version}})
	})
	return doc, err
}
