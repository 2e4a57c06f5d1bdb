package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shuyu"
)

// ImportCatalog registers many entries at once as drafts, all or nothing:
// every row is checked against the store first (department, region,
// category, duplicate codes, the actor's right to register for that
// department) and any problem refuses the whole file with a row list
// (invariant 5). A department imports its own entries; the city authority
// assembles the city's catalog for any department (R8.4); the operator
// imports under the exchange standard (R8.6). Imported drafts then go
// through the normal flow.
func (d *DB) ImportCatalog(ctx context.Context, actor *shuyu.Actor, rows []shuyu.CatalogImportRow) ([]int64, error) {
	if err := shuyu.Authorize(actor, shuyu.ActCatalogImport, shuyu.Resource{Kind: "catalog_revision"}); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "没有可导入的目录 (nothing to import)")
	}
	var ids []int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		cats := map[string]int64{}
		list, err := tx.catalogCategories()
		if err != nil {
			return err
		}
		for _, c := range list {
			cats[c.Code] = c.ID
		}
		orgs := map[string]*shuyu.Org{}
		var problems []shuyu.RowError
		bad := func(row int, col, msg string) {
			problems = append(problems, shuyu.RowError{Row: row, Column: col, Message: msg})
		}
		seen := map[string]int{}
		for i := range rows {
			r := &rows[i]
			o, ok := orgs[r.OrgName]
			if !ok {
				o, err = scanOrg(tx.queryRow(`SELECT `+orgCols+` FROM orgs WHERE name = ?`, r.OrgName))
				if err != nil && !isNoRows(err) {
					return err
				}
				orgs[r.OrgName] = o
			}
			switch {
			case o == nil:
				bad(r.Row, "目录/信息资源提供方", "部门“"+r.OrgName+"”不存在，请填写数源部门全称")
			case o.Kind != shuyu.OrgSourceDept:
				bad(r.Row, "目录/信息资源提供方", "“"+r.OrgName+"”不是数源部门")
			case !shuyu.Can(actor, shuyu.ActCatalogImport, shuyu.Resource{Kind: "catalog_revision", OrgID: o.ID, Region: o.Region, Exists: true}):
				bad(r.Row, "目录/信息资源提供方", "只能导入本部门的目录")
			case r.Region != "" && r.Region != o.Region:
				bad(r.Row, "目录/行政区划代码", fmt.Sprintf("行政区划代码 %s 与部门所在区划 %s 不一致", r.Region, o.Region))
			}
			if r.CategoryCode != "" {
				if id, ok := cats[r.CategoryCode]; ok {
					r.Revision.CategoryID = id
				} else {
					bad(r.Row, "目录/分类编码", "分类编码“"+r.CategoryCode+"”不存在")
				}
			}
			if prev, dup := seen[r.Code]; dup {
				bad(r.Row, "目录/资源代码", fmt.Sprintf("资源代码“%s”与第 %d 行重复", r.Code, prev))
			}
			seen[r.Code] = r.Row
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM catalog_entries WHERE code = ?`, r.Code).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				bad(r.Row, "目录/资源代码", "资源代码“"+r.Code+"”已在目录中登记")
			}
			if err := shuyu.ValidateCode(r.Code); err != nil {
				bad(r.Row, "目录/资源代码", "资源代码格式有误")
			}
			r.Revision.Normalize()
			if err := r.Revision.Validate(); err != nil {
				bad(r.Row, "目录", shuyu.ErrorMessage(err))
			}
			if r.Revision.OpenAttr == shuyu.OpenProhibited {
				bad(r.Row, "目录/开放属性", "禁止开放的数据不得纳入授权运营目录 (R4.5)")
			}
		}
		if len(problems) > 0 {
			if len(problems) > 200 {
				problems = problems[:200]
			}
			return shuyu.Errorf(shuyu.EUNPROCESSABLE, "导入文件有 %d 处错误，未导入任何目录，请修改后重新上传 (import refused, nothing imported)",
				len(problems)).WithDetails(problems)
		}
		for _, r := range rows {
			id, err := tx.createCatalogEntry(NewCatalogEntry{Code: r.Code, OrgID: orgs[r.OrgName].ID, Revision: r.Revision}, shuyu.ActCatalogImport)
			if err != nil {
				return shuyu.Wrap(fmt.Sprintf("import row %d", r.Row), err)
			}
			ids = append(ids, id)
		}
		return tx.audit(Change{Action: shuyu.AuditCatalogImport, ObjectType: "catalog", ObjectID: len(ids),
			Detail: map[string]any{"entries": len(ids)}})
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// PublishedCatalog returns every published entry with its fields, ordered
// by code: the export (public, like the portal).
func (d *DB) PublishedCatalog(ctx context.Context) ([]*shuyu.CatalogEntry, error) {
	var out []*shuyu.CatalogEntry
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.publishedEntries(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: published catalog: %w", err)
	}
	return out, nil
}

// publishedEntries loads published entries with their fields in two
// queries whatever their number (not one per entry): the ids given, in that
// order, or every published entry by code when ids is nil.
func (tx *Tx) publishedEntries(ids []int64) ([]*shuyu.CatalogEntry, error) {
	out := []*shuyu.CatalogEntry{}
	where := ""
	var args []any
	if ids != nil {
		if len(ids) == 0 {
			return out, nil
		}
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
		where = ` WHERE e.id IN (` + ph + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	rows, err := tx.query(`SELECT `+catalogEntryCols+`, `+catalogRevCols+`, COALESCE(c.name, '')
		FROM catalog_entries e JOIN orgs o ON o.id = e.org_id JOIN catalog_revisions r ON r.id = e.published_rev_id
		LEFT JOIN catalog_categories c ON c.id = r.category_id`+where+` ORDER BY e.code`, args...)
	if err != nil {
		return nil, err
	}
	byRev := map[int64]*shuyu.CatalogRevision{}
	byID := map[int64]*shuyu.CatalogEntry{}
	for rows.Next() {
		var e shuyu.CatalogEntry
		var r shuyu.CatalogRevision
		var mountedAt, pub, cat, consentAt, publishedAt sql.NullInt64
		var created, rc, ru int64
		if err := rows.Scan(&e.ID, &e.Code, &e.OrgID, &e.OrgName, &e.Region, &e.Mounted, &mountedAt, &created, &pub,
			&r.ID, &r.EntryID, &r.Version, &r.Status, &r.Name, &r.Summary, &cat, &r.Grade, &r.GradeLevel,
			&r.OpenAttr, &r.PublicSource, &r.AuthMode, &r.UpdateFreq, &r.TimeSpan, &r.Volume, &r.ReturnReason, &r.ConsentBy,
			&consentAt, &publishedAt, &r.CreatedBy, &rc, &ru, &e.CategoryName); err != nil {
			rows.Close()
			return nil, err
		}
		e.MountedAt, e.CreatedAt = fromNullMicros(mountedAt), fromMicros(created)
		r.CategoryID, r.ConsentAt, r.PublishedAt = cat.Int64, fromNullMicros(consentAt), fromNullMicros(publishedAt)
		r.CreatedAt, r.UpdatedAt = fromMicros(rc), fromMicros(ru)
		r.Fields = []shuyu.CatalogField{}
		e.Revision = &r
		byRev[r.ID], byID[e.ID] = &r, &e
		out = append(out, &e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Fields by the revision ids just read: an index range per revision,
	// never a scan of the whole fields table.
	fq := `SELECT f.revision_id, f.name, f.label, f.data_type, f.description, f.pi, f.sensitive_pi, f.trade_secret, f.grade
		FROM catalog_fields f JOIN catalog_entries e ON e.published_rev_id = f.revision_id ORDER BY f.revision_id, f.position`
	var fargs []any
	if ids != nil {
		if len(byRev) == 0 {
			return out[:0], nil
		}
		for rid := range byRev {
			fargs = append(fargs, rid)
		}
		fq = `SELECT f.revision_id, f.name, f.label, f.data_type, f.description, f.pi, f.sensitive_pi, f.trade_secret, f.grade
		FROM catalog_fields f WHERE f.revision_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(fargs)), ", ") + `)
		ORDER BY f.revision_id, f.position`
	}
	frows, err := tx.query(fq, fargs...)
	if err != nil {
		return nil, err
	}
	defer frows.Close()
	for frows.Next() {
		var rid int64
		var f shuyu.CatalogField
		if err := frows.Scan(&rid, &f.Name, &f.Label, &f.DataType, &f.Description, &f.PI, &f.SensitivePI, &f.TradeSecret, &f.Grade); err != nil {
			return nil, err
		}
		if r := byRev[rid]; r != nil {
			r.Fields = append(r.Fields, f)
		}
	}
	if err := frows.Err(); err != nil {
		return nil, err
	}
	if ids != nil {
		out = out[:0]
		for _, id := range ids {
			if e := byID[id]; e != nil {
				out = append(out, e)
			}
		}
	}
	return out, nil
}
