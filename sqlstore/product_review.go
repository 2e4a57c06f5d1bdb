package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"shuyu"
)

// productBuilders are the users who built product id: its creator and
// whoever added a table or the report. None of them may review it (four
// eyes, R17.1, R22.1).
func (tx *Tx) productBuilders(id int64) (map[int64]bool, error) {
	rows, err := tx.query(`SELECT created_by FROM products WHERE id = ?
		UNION SELECT created_by FROM product_tables WHERE product_id = ?
		UNION SELECT uploaded_by FROM product_files WHERE product_id = ?`, id, id, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out[u] = true
	}
	return out, rows.Err()
}

// ReviewProduct records an operator compliance reviewer's decision
// (R17.1): approve or reject, with reasons (a rejection needs them, R21.2).
// The builder of a product can never review it, and when the authority asked
// for a second reviewer, two different reviewers must approve (four eyes).
func (d *DB) ReviewProduct(ctx context.Context, actor *shuyu.Actor, id int64, decision, reason string) (*shuyu.Product, error) {
	return d.ReviewProductChecked(ctx, actor, id, decision, reason, nil)
}

// ReviewProductChecked is ReviewProduct with the output checklist (R17.1,
// R23.1): once the authority approved a 出域审核规范, every review records
// the filled checklist (approving needs every item to pass, rejecting a
// failed item), and a product the rule names — derived from personal
// information, or every product when the authority widened it — needs two
// distinct approving reviewers, neither of whom built it or asked for its
// output.
func (d *DB) ReviewProductChecked(ctx context.Context, actor *shuyu.Actor, id int64, decision, reason string,
	checklist []shuyu.ChecklistAnswer) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductReview, id); err != nil {
		return nil, err
	}
	min := 2
	if len(checklist) > 0 {
		min = 0 // the checklist's items carry the reasons
	}
	switch decision {
	case "approve":
	case "reject":
		if min > 0 {
			min = 4
		}
	default:
		return nil, shuyu.Errorf(shuyu.EINVALID, "审核结论须为 approve（通过）或 reject（不予通过） (bad decision)").
			WithDetails([]shuyu.FieldError{{Field: "decision", Message: "须为 approve 或 reject"}})
	}
	reason, err := shuyu.CheckReason("reason", reason, min)
	if err != nil {
		return nil, err
	}
	err = d.update(ctx, actor, func(tx *Tx) error {
		builders, err := tx.productBuilders(id)
		if err != nil {
			return err
		}
		if builders[actor.UserID] {
			return shuyu.Errorf(shuyu.EFORBIDDEN, "产品的制作人不能审核自己的产品 (four eyes: a builder cannot review)")
		}
		requesters, err := tx.productRequesters(id)
		if err != nil {
			return err
		}
		if requesters[actor.UserID] { // R17.1: nor whoever asked for its output
			return shuyu.Errorf(shuyu.EFORBIDDEN, "申请出域的人不能审核该产品 (four eyes: the requester cannot review)")
		}
		if err := tx.expertGate(shuyu.CaseProduct, id); err != nil { // R7.1
			return err
		}
		p, err := tx.product(id)
		if err != nil {
			return err
		}
		if p.Status == shuyu.ProductHeld {
			return shuyu.Errorf(shuyu.ECONFLICT, "%s", p.HeldReason)
		}
		if p.StoredStatus == shuyu.ProductChecked {
			if _, _, err := tx.productStep(id, "review"); err != nil {
				return err
			}
			p.StoredStatus = shuyu.ProductUnderReview
		}
		var approvals, mine int
		if err := tx.queryRow(`SELECT count(*), coalesce(sum(CASE WHEN reviewer_id = ? THEN 1 ELSE 0 END), 0)
			FROM product_reviews WHERE product_id = ? AND round = ? AND decision = 'approve'`, actor.UserID, id, p.Round).
			Scan(&approvals, &mine); err != nil {
			return err
		}
		if mine > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "您已审核过本轮，第二审核人须为另一人 (four eyes: already reviewed)")
		}
		rs, err := tx.activeChecklist(shuyu.ChecklistOutput)
		if err != nil {
			return err
		}
		cl, err := tx.recordChecklist(actor, shuyu.ChecklistOutput, id, p.Round, checklist)
		if err != nil {
			return err
		}
		detail := map[string]any{}
		if cl != nil {
			if (decision == "approve") != cl.Passed {
				return shuyu.Errorf(shuyu.EINVALID, "审核结论与核查清单不一致：通过须各项符合，不予通过须有不符合项 (decision contradicts the checklist)").
					WithDetails([]shuyu.FieldError{{Field: "decision", Message: "结论须与清单一致"}})
			}
			if !cl.Passed && len([]rune(strings.TrimSpace(reason))) < 4 {
				reason = shuyu.ChecklistFailures(cl.Items, cl.Answers)
			}
			detail["checklist_id"], detail["checklist_version"] = cl.ID, cl.Version
		}
		fourEyes, err := tx.productFourEyes(id, rs)
		if err != nil {
			return err
		}
		event := "reject"
		if decision == "approve" {
			event = "approve"
			if (p.SecondReview || fourEyes) && approvals+1 < 2 { // R17.1: two distinct reviewers
				event = "approve_one"
			}
		}
		detail["four_eyes"] = p.SecondReview || fourEyes
		to, err := shuyu.ProductMachine.Next(p.StoredStatus, event)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO product_reviews (product_id, round, reviewer_id, reviewer_name, decision, reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, p.Round, actor.UserID, actor.Username, decision, reason, micros(tx.now)); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE products SET status = ?, updated_at = ? WHERE id = ?`, to, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditProductReview, ObjectType: "product", ObjectID: id, Reason: reason,
			Detail: mergeDetail(detail, map[string]any{"round": p.Round, "decision": decision, "status": to})}); err != nil {
			return err
		}
		switch to {
		case shuyu.ProductApproved:
			auth, err := tx.orgsOfKind(shuyu.OrgAuthority)
			if err != nil {
				return err
			}
			if err := tx.productNotify(auth, p, "product.approved", "数据产品通过出域核查，待备案"); err != nil {
				return err
			}
			return tx.productNotify([]int64{p.OrgID}, p, "product.approved", "数据产品通过人工审核，待主管部门备案")
		case shuyu.ProductRejected:
			return tx.productNotify([]int64{p.OrgID}, p, "product.rejected", "数据产品未通过人工审核："+reason)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// RequireSecondReview lets the authority ask for a second reviewer before
// a product is approved.
func (d *DB) RequireSecondReview(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductSecond, id); err != nil {
		return nil, err
	}
	reason, err := shuyu.CheckReason("reason", reason, 4)
	if err != nil {
		return nil, err
	}
	err = d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.product(id)
		if err != nil {
			return err
		}
		switch p.StoredStatus {
		case shuyu.ProductDraft, shuyu.ProductRequested, shuyu.ProductChecking, shuyu.ProductChecked, shuyu.ProductUnderReview,
			shuyu.ProductCheckFailed, shuyu.ProductRejected:
		default:
			return shuyu.Errorf(shuyu.ECONFLICT, "产品已通过审核，不能再要求第二审核人 (already approved)")
		}
		if _, err := tx.exec(`UPDATE products SET second_review = ?, updated_at = ? WHERE id = ?`, true, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditProductSecondReview, ObjectType: "product", ObjectID: id, Reason: reason}); err != nil {
			return err
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		return tx.productNotify(ops, p, "product.second_review", "主管部门要求第二审核人")
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

var filingNoRe = regexp.MustCompile(`^[\p{Han}A-Za-z0-9〔〕()\-_/]{4,40}$`)

// FileProduct files an approved product with the authority (R23.2) under a
// filing number: the one given, or the next ZWSJBA-<year>-<nnnn>.
func (d *DB) FileProduct(ctx context.Context, actor *shuyu.Actor, id int64, filingNo, note string) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductFile, id); err != nil {
		return nil, err
	}
	filingNo = strings.TrimSpace(filingNo)
	if filingNo != "" && !filingNoRe.MatchString(filingNo) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "备案号须为 4 至 40 个汉字、字母、数字或 -_/〔〕() (bad filing number)").
			WithDetails([]shuyu.FieldError{{Field: "filing_no", Message: "备案号格式有误"}})
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		if err := tx.expertGate(shuyu.CaseProduct, id); err != nil { // R7.1
			return err
		}
		p, _, err := tx.productStep(id, "file")
		if err != nil {
			return err
		}
		if filingNo == "" {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM products WHERE filing_no IS NOT NULL`).Scan(&n); err != nil {
				return err
			}
			filingNo = fmt.Sprintf("ZWSJBA-%d-%04d", tx.now.Year(), n+1)
		}
		_, err = tx.exec(`UPDATE products SET filing_no = ?, filed_at = ? WHERE id = ?`, filingNo, micros(tx.now), id)
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "备案号 %s 已被使用 (filing number taken)", filingNo)
		}
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditProductFile, ObjectType: "product", ObjectID: id, Reason: strings.TrimSpace(note),
			Detail: map[string]any{"filing_no": filingNo, "round": p.Round}}); err != nil {
			return err
		}
		return tx.productNotify([]int64{p.OrgID}, p, "product.filed", "数据产品已备案（"+filingNo+"），可以上架")
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// ReleaseProduct puts a filed product on the market (R23.2): it joins the
// public list, and the source departments are told when results are fed
// back to them (R6.2).
func (d *DB) ReleaseProduct(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Product, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductRelease, id); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, _, err := tx.productStep(id, "release")
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE products SET released_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditProductRelease, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"filing_no": p.FilingNo}}); err != nil {
			return err
		}
		if p.Feedback {
			return tx.productNotify(p.SourceOrgs, p, "product.feedback", "基于贵单位数据的产品成果已上架，可回馈使用") // R6.2
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.Product(ctx, actor, id)
}

// ProductHistory is a product's checks and reviews, every round.
type ProductHistory struct {
	Checks  []shuyu.ProductCheck  `json:"checks"`
	Reviews []shuyu.ProductReview `json:"reviews"`
}

// ProductHistory returns the checks and reviews of a product the actor may
// read, oldest first.
func (d *DB) ProductHistory(ctx context.Context, actor *shuyu.Actor, id int64) (*ProductHistory, error) {
	if _, err := d.Product(ctx, actor, id); err != nil {
		return nil, err
	}
	h := &ProductHistory{Checks: []shuyu.ProductCheck{}, Reviews: []shuyu.ProductReview{}}
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		h.Checks, h.Reviews, err = tx.productHistory(id)
		return err
	})
	return h, err
}

func (tx *Tx) productHistory(id int64) ([]shuyu.ProductCheck, []shuyu.ProductReview, error) {
	checks, reviews := []shuyu.ProductCheck{}, []shuyu.ProductReview{}
	rows, err := tx.query(`SELECT id, round, rules_version, passed, failed_json, report_json, created_at
		FROM product_checks WHERE product_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var c shuyu.ProductCheck
		var failed, report string
		var at int64
		if err := rows.Scan(&c.ID, &c.Round, &c.RulesVersion, &c.Passed, &failed, &report, &at); err != nil {
			rows.Close()
			return nil, nil, err
		}
		c.Report, c.At = shuyu.RawJSON(report), fromMicros(at)
		if err := json.Unmarshal([]byte(failed), &c.Failed); err != nil {
			rows.Close()
			return nil, nil, err
		}
		checks = append(checks, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = tx.query(`SELECT id, round, reviewer_id, reviewer_name, decision, reason, created_at
		FROM product_reviews WHERE product_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r shuyu.ProductReview
		var at int64
		if err := rows.Scan(&r.ID, &r.Round, &r.ReviewerID, &r.Reviewer, &r.Decision, &r.Reason, &at); err != nil {
			return nil, nil, err
		}
		r.At = fromMicros(at)
		reviews = append(reviews, r)
	}
	return checks, reviews, rows.Err()
}
