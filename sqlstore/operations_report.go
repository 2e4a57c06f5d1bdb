package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/workday"
)

// The operator's periodic operations report (R32.1) in operations_reports
// (migration 0014): generated from the records of a quarter or a year
// when the operator submits it, acknowledged by the authority. One per
// operator and period; the content is frozen with its SM3 digest.

// opsReportContent computes the report of a period from the records.
func (tx *Tx) opsReportContent(period string) (*shuyu.OpsReportContent, error) {
	from, to, err := shuyu.OpsPeriod(period, workday.Zone)
	if err != nil {
		return nil, err
	}
	if !to.After(from) || to.After(tx.now) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "报告期间尚未结束，不能报告 (the period has not ended)").
			WithDetails([]shuyu.FieldError{{Field: "period", Message: "须为已结束的季度或年度"}})
	}
	f, t := micros(from), micros(to)
	c := &shuyu.OpsReportContent{Period: period, From: from.Format("2006-01-02"), To: to.AddDate(0, 0, -1).Format("2006-01-02"), AsOf: tx.now}
	if c.Usage, c.Applications, c.Complaints, err = tx.periodFigures(f, t); err != nil {
		return nil, err
	}
	if err := tx.queryRow(`SELECT count(*) FROM products WHERE released_at >= ? AND released_at < ?`, f, t).Scan(&c.Products); err != nil {
		return nil, err
	}
	if err := tx.queryRow(`SELECT coalesce(sum(total_fen), 0) FROM money_statements WHERE issued_at >= ? AND issued_at < ?`, f, t).Scan(&c.BilledFen); err != nil {
		return nil, err
	}
	if c.Merchants, err = tx.merchantReport(from, to); err != nil {
		return nil, err
	}
	c.Merchants.CreatedAt = tx.now
	return c, nil
}

const opsReportCols = `r.id, r.operator_org_id, o.name, r.period, r.content_json, r.digest, r.status, r.submitted_by, r.submitted_at,
	r.acknowledged_by, r.acknowledged_at`

func (tx *Tx) opsReport(where string, args ...any) (*shuyu.OpsReport, error) {
	var r shuyu.OpsReport
	var content string
	var subBy int64
	var subAt int64
	var ackBy, ackAt sql.NullInt64
	err := tx.queryRow(`SELECT `+opsReportCols+` FROM operations_reports r JOIN orgs o ON o.id = r.operator_org_id `+where, args...).
		Scan(&r.ID, &r.OperatorOrgID, &r.OperatorName, &r.Period, &content, &r.DigestSM3, &r.Status, &subBy, &subAt, &ackBy, &ackAt)
	if isNoRows(err) {
		return nil, notFound("运营情况报告")
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(content), &r.Content); err != nil {
		return nil, fmt.Errorf("sqlstore: operations report %d: %w", r.ID, err)
	}
	r.SubmittedBy, r.SubmittedAt, r.AcknowledgedAt = tx.displayName(subBy), fromMicros(subAt), fromNullMicros(ackAt)
	if ackBy.Valid {
		r.AcknowledgedBy = tx.displayName(ackBy.Int64)
	}
	return &r, nil
}

func opsReportResource(r *shuyu.OpsReport) shuyu.Resource {
	return shuyu.Resource{Kind: "ops_report", OrgID: r.OperatorOrgID, Exists: true}
}

// SubmitOpsReport generates the operator's report of an ended period from
// the records and submits it to the authority (R32.1). A period is
// reported once.
func (d *DB) SubmitOpsReport(ctx context.Context, actor *shuyu.Actor, period string) (*shuyu.OpsReport, error) {
	if err := shuyu.Authorize(actor, shuyu.ActOpsReportSubmit, shuyu.Resource{Kind: "ops_report", OrgID: actor.OrgID}); err != nil {
		return nil, err
	}
	var out *shuyu.OpsReport
	err := d.update(ctx, actor, func(tx *Tx) error {
		c, err := tx.opsReportContent(period)
		if err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM operations_reports WHERE operator_org_id = ? AND period = ?`, actor.OrgID, period).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "%s的运营情况报告已提交 (already reported)", shuyu.OpsPeriodLabel(period))
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		sum := sm3.Sum(b)
		digest := hex.EncodeToString(sum[:])
		id, err := tx.insert(`INSERT INTO operations_reports (operator_org_id, period, content_json, digest, status, submitted_by, submitted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, actor.OrgID, period, string(b), digest, shuyu.OpsReportSubmitted, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditOpsReportSubmit, ObjectType: "ops_report", ObjectID: id,
			Detail: map[string]any{"period": period, "digest_sm3": digest, "rule": "R32.1"}}); err != nil {
			return err
		}
		auths, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(auths, Notice{Kind: "ops_report.submitted", Title: fmt.Sprintf("运营机构提交了%s运营情况报告", shuyu.OpsPeriodLabel(period)),
			ObjectType: "ops_report", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/ops-reports/%d", id)}); err != nil {
			return err
		}
		out, err = tx.opsReport(`WHERE r.id = ?`, id)
		return err
	})
	return out, err
}

// AcknowledgeOpsReport: the authority acknowledges receipt of a report.
func (d *DB) AcknowledgeOpsReport(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.OpsReport, error) {
	var out *shuyu.OpsReport
	err := d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.opsReport(`WHERE r.id = ?`, id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActOpsReportAck, opsReportResource(r)); err != nil {
			return err
		}
		next, err := shuyu.OpsReportMachine.Next(r.Status, "acknowledge")
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE operations_reports SET status = ?, acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND status = ?`,
			next, actor.UserID, micros(tx.now), id, r.Status); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditOpsReportAck, ObjectType: "ops_report", ObjectID: id,
			Detail: map[string]any{"period": r.Period, "rule": "R32.1"}}); err != nil {
			return err
		}
		if err := tx.notify(Notice{OrgID: r.OperatorOrgID, Kind: "ops_report.acknowledged", Title: fmt.Sprintf("%s运营情况报告已被签收", shuyu.OpsPeriodLabel(r.Period)),
			ObjectType: "ops_report", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/ops-reports/%d", id)}); err != nil {
			return err
		}
		out, err = tx.opsReport(`WHERE r.id = ?`, id)
		return err
	})
	return out, err
}

// OpsReport returns one report to a reader (the operator its own: another
// organization's is not found).
func (d *DB) OpsReport(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.OpsReport, error) {
	var out *shuyu.OpsReport
	err := d.view(ctx, func(tx *Tx) error {
		r, err := tx.opsReport(`WHERE r.id = ?`, id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActOpsReportRead, opsReportResource(r)); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

// OpsReports lists the reports the actor may read, newest first.
func (d *DB) OpsReports(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.OpsReport, error) {
	if err := shuyu.Authorize(actor, shuyu.ActOpsReportRead, shuyu.Resource{Kind: "ops_report"}); err != nil {
		return nil, err
	}
	out := []*shuyu.OpsReport{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id FROM operations_reports ORDER BY submitted_at DESC, id DESC`)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			r, err := tx.opsReport(`WHERE r.id = ?`, id)
			if err != nil {
				return err
			}
			if shuyu.Authorize(actor, shuyu.ActOpsReportRead, opsReportResource(r)) == nil {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}
