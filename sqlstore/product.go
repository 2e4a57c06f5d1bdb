package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"shuyu"
)

const productCols = `p.id, p.org_id, o.name, p.workspace_id, p.name, p.description, p.scenario, p.type, p.recipients_json,
	p.terms, p.feedback, p.status, p.round, p.second_review, p.filing_no, p.filed_at, p.released_at, p.created_by,
	p.created_at, p.updated_at`

// product loads a product with its tables, sources, report and effective
// status: a pending product is held while any source is suspended (R27.3).
func (tx *Tx) product(id int64) (*shuyu.Product, error) {
	var p shuyu.Product
	var recips string
	var filingNo *string
	var filed, released *int64
	var created, updated int64
	err := tx.queryRow(`SELECT `+productCols+` FROM products p JOIN orgs o ON o.id = p.org_id WHERE p.id = ?`, id).
		Scan(&p.ID, &p.OrgID, &p.OrgName, &p.WorkspaceID, &p.Name, &p.Description, &p.Scenario, &p.Type, &recips,
			&p.Terms, &p.Feedback, &p.StoredStatus, &p.Round, &p.SecondReview, &filingNo, &filed, &released, &p.CreatedBy,
			&created, &updated)
	if isNoRows(err) {
		return nil, notFound("数据产品")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: product: %w", err)
	}
	if err := json.Unmarshal([]byte(recips), &p.Recipients); err != nil {
		return nil, fmt.Errorf("sqlstore: product recipients: %w", err)
	}
	if filingNo != nil {
		p.FilingNo = *filingNo
	}
	p.FiledAt, p.ReleasedAt = domainTime(filed), domainTime(released)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	if p.Tables, err = tx.productTables(id); err != nil {
		return nil, err
	}
	orgs := map[int64]bool{}
	p.SourceOrgs = []int64{}
	for _, t := range p.Tables {
		for _, s := range t.Sources {
			if !orgs[s.OrgID] {
				orgs[s.OrgID] = true
				p.SourceOrgs = append(p.SourceOrgs, s.OrgID)
			}
		}
	}
	var f shuyu.ProductFile
	var at int64
	err = tx.queryRow(`SELECT name, size, sha256, uploaded_at FROM product_files WHERE product_id = ?`, id).Scan(&f.Name, &f.Size, &f.SHA256, &at)
	switch {
	case err == nil:
		f.At = fromMicros(at)
		p.Report = &f
	case !isNoRows(err):
		return nil, err
	}
	p.Status = p.StoredStatus
	held, why, err := tx.productHeld(&p)
	if err != nil {
		return nil, err
	}
	if held && shuyu.ProductPending(p.StoredStatus) {
		p.Status, p.HeldReason = shuyu.ProductHeld, why
	} else if held {
		p.HeldReason = why
	}
	return &p, nil
}

// productHeld reports whether a source entry of p is suspended (R27.3).
func (tx *Tx) productHeld(p *shuyu.Product) (bool, string, error) {
	seen := map[int64]bool{}
	for _, t := range p.Tables {
		for _, s := range t.Sources {
			if seen[s.EntryID] {
				continue
			}
			seen[s.EntryID] = true
			held, err := tx.domainSuspended(s.EntryID)
			if err != nil {
				return false, "", err
			}
			if held {
				return true, fmt.Sprintf("来源目录 %s 的数据供给已被暂停，产品出域暂停 (R27.3 source suspended)", s.EntryCode), nil
			}
			// R2.1: a product derived from data marked secret since it was
			// built never leaves the domain. Its tables record entries, not
			// columns, so a mark on any field of a source holds it.
			fields, err := tx.publishedFieldNames(s.EntryID)
			if err != nil {
				return false, "", err
			}
			if why, err := tx.secretRefusal(s.EntryID, s.EntryCode, fields, "出域"); err != nil {
				return false, "", err
			} else if why != "" {
				return true, "来源数据" + why, nil
			}
		}
	}
	return false, "", nil
}

func (tx *Tx) productTables(id int64) ([]shuyu.ProductTable, error) {
	rows, err := tx.query(`SELECT id, n, name, duck_table, query_id, rerun_id, sql_text, columns_json, rows_count, aggregate,
		counts_json, created_by, created_at FROM product_tables WHERE product_id = ? ORDER BY n`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: product tables: %w", err)
	}
	out := []shuyu.ProductTable{}
	for rows.Next() {
		var t shuyu.ProductTable
		var cols, counts string
		var at int64
		if err := rows.Scan(&t.ID, &t.N, &t.Name, &t.DuckTable, &t.QueryID, &t.RerunID, &t.SQL, &cols, &t.Rows, &t.Aggregate,
			&counts, &t.CreatedBy, &at); err != nil {
			rows.Close()
			return nil, err
		}
		t.CreatedAt = fromMicros(at)
		if err := json.Unmarshal([]byte(cols), &t.Columns); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(counts), &t.Counts); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		src, err := tx.query(`SELECT s.entry_id, e.code, coalesce(r.name, ''), e.org_id, s.version, s.public
			FROM product_sources s JOIN catalog_entries e ON e.id = s.entry_id
			LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id
			WHERE s.table_id = ? ORDER BY s.entry_id`, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Sources = []shuyu.ProductSource{}
		for src.Next() {
			var s shuyu.ProductSource
			if err := src.Scan(&s.EntryID, &s.EntryCode, &s.EntryName, &s.OrgID, &s.Version, &s.Public); err != nil {
				src.Close()
				return nil, err
			}
			out[i].Sources = append(out[i].Sources, s)
		}
		src.Close()
		if err := src.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ProductFor loads a product and authorizes action on it; another
// merchant's product answers ENOTFOUND (invariant 3).
func (d *DB) ProductFor(ctx context.Context, actor *shuyu.Actor, action shuyu.Action, id int64) (*shuyu.Product, error) {
	var p *shuyu.Product
	if err := d.view(ctx, func(tx *Tx) error {
		var err error
		p, err = tx.product(id)
		return err
	}); err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, action, p.Resource()); err != nil {
		return nil, err
	}
	return p, nil
}

// Product returns a product the actor may read.
func (d *DB) Product(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Product, error) {
	return d.ProductFor(ctx, actor, shuyu.ActProductRead, id)
}

// Products lists the products the actor may read, newest first; status
// filters on the stored state when not empty.
func (d *DB) Products(ctx context.Context, actor *shuyu.Actor, status string) ([]*shuyu.Product, error) {
	if err := shuyu.Authorize(actor, shuyu.ActProductRead, shuyu.Resource{Kind: "product"}); err != nil {
		return nil, err
	}
	out := []*shuyu.Product{}
	err := d.view(ctx, func(tx *Tx) error {
		q, args := `SELECT id FROM products`, []any{}
		if status != "" {
			q, args = q+` WHERE status = ?`, append(args, status)
		}
		ids, err := tx.productIDs(q+` ORDER BY id DESC LIMIT 1000`, args...)
		if err != nil {
			return err
		}
		for _, id := range ids {
			p, err := tx.product(id)
			if err != nil {
				return err
			}
			if shuyu.Can(actor, shuyu.ActProductRead, p.Resource()) {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

func (tx *Tx) productIDs(q string, args ...any) ([]int64, error) {
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CreateProduct records a draft product over one of the merchant's
// workspaces.
func (d *DB) CreateProduct(ctx context.Context, actor *shuyu.Actor, in shuyu.ProductInput) (*shuyu.Product, error) {
	if err := shuyu.Authorize(actor, shuyu.ActProductCreate, shuyu.Resource{Kind: "product"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	ws, err := d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceRead, in.WorkspaceID)
	if err != nil {
		return nil, err
	}
	if ws.OrgID != actor.OrgID {
		return nil, notFound("工作区")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	recips, _ := json.Marshal(in.Recipients)
	var id int64
	err = d.update(ctx, actor, func(tx *Tx) error {
		// R13.1, R4.1: a product only over entries the operator's
		// authorization covers today, for the product's scenario.
		cover, err := tx.productCover(in.WorkspaceID, in.Scenario)
		if err != nil {
			return err
		}
		id, err = tx.insert(`INSERT INTO products (org_id, workspace_id, name, description, scenario, type, recipients_json, terms,
			feedback, status, round, secret, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
			actor.OrgID, in.WorkspaceID, in.Name, in.Description, in.Scenario, in.Type, string(recips), in.Terms, in.Feedback,
			shuyu.ProductDraft, hex.EncodeToString(secret), actor.UserID, micros(tx.now), micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: create product: %w", err)
		}
		return tx.audit(Change{Action: shuyu.AuditProductCreate, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"name": in.Name, "type": in.Type, "workspace_id": in.WorkspaceID, "feedback": in.Feedback,
				"authorization": cover.Number}})
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// productCover checks a product's workspace entries against the
// authorization in force today (authorizationCovers).
func (tx *Tx) productCover(workspaceID int64, scenario string) (*authzCover, error) {
	rows, err := tx.query(`SELECT entry_id FROM workspace_grants WHERE workspace_id = ? ORDER BY entry_id`, workspaceID)
	if err != nil {
		return nil, err
	}
	var entries []int64
	for rows.Next() {
		var e int64
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return nil, err
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	today := beijingDay(tx.now)
	return tx.authorizationCovers(entries, strings.TrimSpace(scenario), today, today)
}

// UpdateProduct revises a draft's description.
func (d *DB) UpdateProduct(ctx context.Context, actor *shuyu.Actor, id int64, in shuyu.ProductInput) (*shuyu.Product, error) {
	p, err := d.ProductFor(ctx, actor, shuyu.ActProductCreate, id)
	if err != nil {
		return nil, err
	}
	in.WorkspaceID = p.WorkspaceID
	if err := in.Validate(); err != nil {
		return nil, err
	}
	recips, _ := json.Marshal(in.Recipients)
	err = d.update(ctx, actor, func(tx *Tx) error {
		if err := tx.productEditable(id); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE products SET name = ?, description = ?, scenario = ?, type = ?, recipients_json = ?, terms = ?,
			feedback = ?, updated_at = ? WHERE id = ?`, in.Name, in.Description, in.Scenario, in.Type, string(recips), in.Terms,
			in.Feedback, micros(tx.now), id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditProductUpdate, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"name": in.Name, "type": in.Type, "feedback": in.Feedback}})
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// productEditable refuses changes to a product that is not a draft: what
// was checked and reviewed is what leaves.
func (tx *Tx) productEditable(id int64) error {
	var st string
	if err := tx.queryRow(`SELECT status FROM products WHERE id = ?`, id).Scan(&st); err != nil {
		if isNoRows(err) {
			return notFound("数据产品")
		}
		return err
	}
	if st != shuyu.ProductDraft {
		return shuyu.Errorf(shuyu.ECONFLICT, "只有草稿状态的产品可以修改，请先修订 (only drafts can change)")
	}
	return nil
}

// ProductSecret returns a product's fingerprint key (R27.1) to the
// delivery and attribution code; it is never shown.
func (d *DB) ProductSecret(ctx context.Context, id int64) ([]byte, error) {
	var s string
	if err := d.view(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT secret FROM products WHERE id = ?`, id).Scan(&s)
	}); err != nil {
		if isNoRows(err) {
			return nil, notFound("数据产品")
		}
		return nil, err
	}
	return hex.DecodeString(s)
}

// productDuckName is the name of a product table inside the domain.
func productDuckName(productID int64, n int) string { return fmt.Sprintf("prod_%d_%d", productID, n) }

// NextProductTable reserves nothing: it names the domain table the next
// table of a draft will be materialized as (prod_<id>_<n>), so the caller
// can build it inside the domain before AddProductTable records it.
func (d *DB) NextProductTable(ctx context.Context, actor *shuyu.Actor, id int64) (string, int, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductCreate, id); err != nil {
		return "", 0, err
	}
	var n int
	err := d.view(ctx, func(tx *Tx) error {
		if err := tx.productEditable(id); err != nil {
			return err
		}
		return tx.queryRow(`SELECT coalesce(max(n), 0) FROM product_tables WHERE product_id = ?`, id).Scan(&n)
	})
	if err != nil {
		return "", 0, err
	}
	return productDuckName(id, n+1), n + 1, nil
}

// productTableName checks a table's display name.
func productTableName(s string) (string, error) {
	s = strings.TrimSpace(s)
	ok := len(s) >= 1 && len(s) <= 63
	for i, r := range s {
		ok = ok && (r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9')
	}
	if !ok {
		return "", shuyu.Errorf(shuyu.EINVALID, "表名须为字母、数字和下划线，以字母开头，不超过 63 个字符 (bad table name)").
			WithDetails([]shuyu.FieldError{{Field: "name", Message: "表名无效"}})
	}
	return s, nil
}
