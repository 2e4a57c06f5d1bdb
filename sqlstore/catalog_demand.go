package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shuyu"
)

// Demands for data not yet in the catalog (R9.1): filed by merchants, the
// operator or departments, routed by the authority to a department, answered
// by it, and counted for the periodic joint review.

const demandCols = `d.id, d.title, d.description, d.scenario, d.requester_org_id, ro.name, COALESCE(d.routed_org_id, 0),
	COALESCE(dept.name, ''), COALESCE(d.entry_id, 0), d.status, d.response, d.created_at, d.updated_at`

const demandFrom = ` FROM catalog_demands d JOIN orgs ro ON ro.id = d.requester_org_id LEFT JOIN orgs dept ON dept.id = d.routed_org_id`

func scanDemand(s interface{ Scan(...any) error }) (*shuyu.CatalogDemand, error) {
	var d shuyu.CatalogDemand
	var created, updated int64
	if err := s.Scan(&d.ID, &d.Title, &d.Description, &d.Scenario, &d.RequesterOrg, &d.RequesterName, &d.RoutedOrg,
		&d.RoutedName, &d.EntryID, &d.Status, &d.Response, &created, &updated); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &d, nil
}

func (tx *Tx) demand(id int64) (*shuyu.CatalogDemand, error) {
	d, err := scanDemand(tx.queryRow(`SELECT `+demandCols+demandFrom+` WHERE d.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("数据需求")
	}
	return d, err
}

// CreateDemand files a demand.
func (d *DB) CreateDemand(ctx context.Context, actor *shuyu.Actor, dm *shuyu.CatalogDemand) error {
	if err := shuyu.Authorize(actor, shuyu.ActDemandCreate, shuyu.Resource{Kind: "demand"}); err != nil {
		return err
	}
	if err := dm.Validate(); err != nil {
		return err
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		id, err := tx.insert(`INSERT INTO catalog_demands (title, description, scenario, requester_org_id, requester_id, status,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, dm.Title, dm.Description, dm.Scenario, actor.OrgID,
			actor.UserID, shuyu.DemandOpen, micros(tx.now), micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: create demand: %w", err)
		}
		got, err := tx.demand(id)
		if err != nil {
			return err
		}
		*dm = *got
		return tx.audit(Change{Action: shuyu.AuditDemandCreate, ObjectType: "catalog_demand", ObjectID: id,
			Detail: map[string]any{"title": dm.Title}})
	})
}

// Demand returns one demand the actor may see.
func (d *DB) Demand(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.CatalogDemand, error) {
	var dm *shuyu.CatalogDemand
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		dm, err = tx.demand(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActDemandRead, dm.Resource()); err != nil {
		return nil, err
	}
	return dm, nil
}

// DemandList is the demands an actor may see, with counts by status.
type DemandList struct {
	Items  []*shuyu.CatalogDemand `json:"items"`
	Total  int                    `json:"total"`
	Counts map[string]int         `json:"counts"`
}

// Demands lists the demands the actor may see, optionally of one status;
// Counts covers every status (R9.1: status tracked and counted).
func (d *DB) Demands(ctx context.Context, actor *shuyu.Actor, status shuyu.DemandStatus) (*DemandList, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDemandRead, shuyu.Resource{Kind: "demand"}); err != nil {
		return nil, err
	}
	if status != "" && !status.Valid() {
		return nil, shuyu.Errorf(shuyu.EINVALID, "需求状态无效 (invalid status)")
	}
	out := &DemandList{Items: []*shuyu.CatalogDemand{}, Counts: map[string]int{}}
	for _, s := range shuyu.DemandStatuses {
		out.Counts[string(s)] = 0
	}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + demandCols + demandFrom + ` ORDER BY d.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			dm, err := scanDemand(rows)
			if err != nil {
				return err
			}
			if !shuyu.Can(actor, shuyu.ActDemandRead, dm.Resource()) {
				continue
			}
			out.Counts[string(dm.Status)]++
			if status == "" || dm.Status == status {
				out.Items = append(out.Items, dm)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: demands: %w", err)
	}
	out.Total = len(out.Items)
	return out, nil
}

// RouteDemand sends a demand to the source department that should answer
// it (the authority's call, R9.1).
func (d *DB) RouteDemand(ctx context.Context, actor *shuyu.Actor, id, orgID int64, note string) (*shuyu.CatalogDemand, error) {
	return d.moveDemand(ctx, actor, id, shuyu.ActDemandRoute, shuyu.DemandRouted, strings.TrimSpace(note), orgID, 0)
}

// AnswerDemand records a department's (or the authority's) answer: accepted,
// fulfilled (naming the entry that covers it) or rejected (with reasons).
func (d *DB) AnswerDemand(ctx context.Context, actor *shuyu.Actor, id int64, status shuyu.DemandStatus, response string, entryID int64) (*shuyu.CatalogDemand, error) {
	if status != shuyu.DemandAccepted && status != shuyu.DemandFulfilled && status != shuyu.DemandRejected {
		return nil, shuyu.Errorf(shuyu.EINVALID, "答复状态须为 accepted、fulfilled 或 rejected (invalid answer)")
	}
	response = strings.TrimSpace(response)
	if status == shuyu.DemandRejected && response == "" {
		return nil, shuyu.Errorf(shuyu.EINVALID, "不予采纳须写明理由 (a rejection must give reasons)").
			WithDetails([]shuyu.FieldError{{Field: "response", Message: "请填写理由"}})
	}
	if status == shuyu.DemandFulfilled && entryID == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "已满足的需求须关联目录 (name the entry that fulfils it)").
			WithDetails([]shuyu.FieldError{{Field: "entry_id", Message: "请选择目录"}})
	}
	if len([]rune(response)) > 2000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "答复不得超过 2000 个字符 (response too long)")
	}
	return d.moveDemand(ctx, actor, id, shuyu.ActDemandUpdate, status, response, 0, entryID)
}

func (d *DB) moveDemand(ctx context.Context, actor *shuyu.Actor, id int64, act shuyu.Action, to shuyu.DemandStatus,
	text string, orgID, entryID int64) (*shuyu.CatalogDemand, error) {
	var out *shuyu.CatalogDemand
	err := d.update(ctx, actor, func(tx *Tx) error {
		dm, err := tx.demand(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, act, dm.Resource()); err != nil {
			return err
		}
		if !shuyu.DemandCanMove(dm.Status, to) {
			return shuyu.Errorf(shuyu.ECONFLICT, "需求当前状态为 %s，不能改为 %s (status does not allow this)", dm.Status, to)
		}
		routed := sql.NullInt64{Int64: dm.RoutedOrg, Valid: dm.RoutedOrg != 0}
		if act == shuyu.ActDemandRoute {
			o, err := tx.org(orgID)
			if err != nil || o.Kind != shuyu.OrgSourceDept {
				return shuyu.Errorf(shuyu.EINVALID, "须转给一个数源部门 (route to a source department)").
					WithDetails([]shuyu.FieldError{{Field: "org_id", Message: "数源部门不存在"}})
			}
			routed = sql.NullInt64{Int64: o.ID, Valid: true}
		}
		var entry any
		if entryID != 0 {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM catalog_entries WHERE id = ?`, entryID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return shuyu.Errorf(shuyu.EINVALID, "目录不存在 (unknown entry)").
					WithDetails([]shuyu.FieldError{{Field: "entry_id", Message: "目录不存在"}})
			}
			entry = entryID
		}
		resp := dm.Response
		if act != shuyu.ActDemandRoute || text != "" {
			resp = text
		}
		if _, err := tx.exec(`UPDATE catalog_demands SET status = ?, routed_org_id = ?, entry_id = COALESCE(?, entry_id),
			response = ?, updated_at = ? WHERE id = ?`, to, routed, entry, resp, micros(tx.now), id); err != nil {
			return fmt.Errorf("sqlstore: demand: %w", err)
		}
		if out, err = tx.demand(id); err != nil {
			return err
		}
		audited := shuyu.AuditDemandUpdate
		if act == shuyu.ActDemandRoute {
			audited = shuyu.AuditDemandRoute
		}
		return tx.audit(Change{Action: audited, ObjectType: "catalog_demand", ObjectID: id, Reason: text,
			Detail: map[string]any{"from": dm.Status, "to": to, "routed_org_id": routed.Int64, "entry_id": entryID}})
	})
	return out, err
}
