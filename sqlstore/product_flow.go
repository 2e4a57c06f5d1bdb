package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"shuyu"
)

// AddProductTable records a table the caller materialized inside the domain
// (t.DuckTable, named by NextProductTable) from released workspace results,
// with its source entries and versions (R27.1).
func (d *DB) AddProductTable(ctx context.Context, actor *shuyu.Actor, id int64, t shuyu.ProductTable) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductCreate, id); err != nil {
		return nil, err
	}
	name, err := productTableName(t.Name)
	if err != nil {
		return nil, err
	}
	if t.DuckTable != productDuckName(id, t.N) || len(t.Columns) == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "产品表未在数据域内生成 (table not materialized)")
	}
	cols, _ := json.Marshal(t.Columns)
	if t.Counts == nil {
		t.Counts = []string{}
	}
	counts, _ := json.Marshal(t.Counts)
	err = d.update(ctx, actor, func(tx *Tx) error {
		if err := tx.productEditable(id); err != nil {
			return err
		}
		tid, err := tx.insert(`INSERT INTO product_tables (product_id, n, name, duck_table, query_id, rerun_id, sql_text, columns_json,
			rows_count, aggregate, counts_json, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, t.N, name, t.DuckTable, t.QueryID, t.RerunID, t.SQL, string(cols), t.Rows, t.Aggregate, string(counts),
			actor.UserID, micros(tx.now))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "产品中已有名为 %s 的表 (table name taken)", name)
		}
		if err != nil {
			return fmt.Errorf("sqlstore: product table: %w", err)
		}
		for _, s := range t.Sources {
			if _, err := tx.exec(`INSERT INTO product_sources (table_id, product_id, entry_id, version, public) VALUES (?, ?, ?, ?, ?)`,
				tid, id, s.EntryID, s.Version, s.Public); err != nil {
				return fmt.Errorf("sqlstore: product source: %w", err)
			}
		}
		if _, err := tx.exec(`UPDATE products SET updated_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditProductTable, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"table": name, "domain_table": t.DuckTable, "query_id": t.QueryID, "rerun_id": t.RerunID,
				"rows": t.Rows, "columns": t.Columns, "sources": t.Sources}})
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// MaxReportBytes caps the report file.
const MaxReportBytes = 10 << 20

// SetProductReport attaches (or replaces) the product's report file. Only a
// PDF is accepted, recognized by its content, not its name.
func (d *DB) SetProductReport(ctx context.Context, actor *shuyu.Actor, id int64, name string, content []byte, sha string) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductCreate, id); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	switch {
	case len(content) > MaxReportBytes:
		return nil, shuyu.Errorf(shuyu.ETOOLARGE, "报告文件不能超过 %d MB (report too large)", MaxReportBytes>>20)
	case len(content) < 8 || string(content[:5]) != "%PDF-":
		return nil, shuyu.Errorf(shuyu.EINVALID, "报告须为 PDF 文件 (report must be a PDF)").
			WithDetails([]shuyu.FieldError{{Field: "file", Message: "不是 PDF 文件"}})
	case name == "" || len(name) > 200 || strings.ContainsAny(name, "/\\\x00"):
		name = "report.pdf"
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		if err := tx.productEditable(id); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM product_files WHERE product_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO product_files (product_id, name, size, sha256, content, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, name, len(content), sha, content, actor.UserID, micros(tx.now)); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditProductReport, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"name": name, "size": len(content), "sha256": sha}})
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// ProductReportContent returns the report file's bytes to a caller that
// has authorized the read (review or delivery).
func (d *DB) ProductReportContent(ctx context.Context, id int64) (string, []byte, error) {
	var name string
	var b []byte
	err := d.view(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT name, content FROM product_files WHERE product_id = ?`, id).Scan(&name, &b)
	})
	if isNoRows(err) {
		return "", nil, shuyu.Errorf(shuyu.ENOTFOUND, "产品没有报告文件 (no report)")
	}
	return name, b, err
}

// productStep moves product id by event inside tx, refusing a held product
// (R27.3) and events the state table does not allow.
func (tx *Tx) productStep(id int64, event string) (*shuyu.Product, string, error) {
	p, err := tx.product(id)
	if err != nil {
		return nil, "", err
	}
	if p.Status == shuyu.ProductHeld {
		return nil, "", shuyu.Errorf(shuyu.ECONFLICT, "%s", p.HeldReason)
	}
	to, err := shuyu.ProductMachine.Next(p.StoredStatus, event)
	if err != nil {
		return nil, "", err
	}
	_, err = tx.exec(`UPDATE products SET status = ?, updated_at = ? WHERE id = ?`, to, micros(tx.now), id)
	return p, to, err
}

func (tx *Tx) productNotify(orgIDs []int64, p *shuyu.Product, kind, title string) error {
	return tx.notifyOrgs(orgIDs, Notice{Kind: kind, Title: title + "：" + p.Name, ObjectType: "product",
		ObjectID: fmt.Sprint(p.ID), Link: fmt.Sprintf("/output/products/%d", p.ID)})
}

// RequestProduct asks for output (R23.2): the product must have a table or
// a report, and approved rules must exist (R23.1). The operator is told.
func (d *DB) RequestProduct(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductRequest, id); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.product(id)
		if err != nil {
			return err
		}
		if len(p.Tables) == 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "产品还没有数据表，不能申请出域 (product has no tables)")
		}
		if _, err := tx.activeOutRules(); err != nil {
			return err
		}
		if _, _, err := tx.productStep(id, "request"); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditProductRequest, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"round": p.Round, "tables": len(p.Tables)}}); err != nil {
			return err
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		return tx.productNotify(ops, p, "product.requested", "数据产品申请出域核查")
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// StartProductCheck marks a requested product as being checked and returns
// the approved rules to check it with (R23.1).
func (d *DB) StartProductCheck(ctx context.Context, actor *shuyu.Actor, id int64) (*OutputRules, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductRequest, id); err != nil {
		return nil, err
	}
	var rules *OutputRules
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if rules, err = tx.activeOutRules(); err != nil {
			return err
		}
		p, _, err := tx.productStep(id, "check")
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditProductCheckStart, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"round": p.Round, "rules_version": rules.Version}})
	})
	return rules, err
}

// RecordProductCheck stores the automatic check's report (counts, never
// values) and moves the product to checked or check_failed (R17.1).
func (d *DB) RecordProductCheck(ctx context.Context, actor *shuyu.Actor, id int64, rulesVersion int, passed bool,
	failed []string, report json.RawMessage) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductRequest, id); err != nil {
		return nil, err
	}
	if failed == nil {
		failed = []string{}
	}
	fj, _ := json.Marshal(failed)
	event := "fail"
	if passed {
		event = "pass"
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, to, err := tx.productStep(id, event)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO product_checks (product_id, round, rules_version, passed, failed_json, report_json, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, p.Round, rulesVersion, passed, string(fj), string(report), micros(tx.now)); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditProductCheck, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"round": p.Round, "rules_version": rulesVersion, "passed": passed, "failed": failed, "status": to}}); err != nil {
			return err
		}
		if !passed {
			return tx.productNotify([]int64{p.OrgID}, p, "product.check_failed", "数据产品未通过出域自动核查")
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		return tx.productNotify(append(ops, p.OrgID), p, "product.checked", "数据产品通过自动核查，待人工审核")
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// ReviseProduct reopens a blocked or rejected product as a draft in a new
// round; earlier checks and reviews stay in its history.
func (d *DB) ReviseProduct(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductCreate, id); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, _, err := tx.productStep(id, "revise")
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE products SET round = round + 1 WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditProductRevise, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"round": p.Round + 1}})
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}
