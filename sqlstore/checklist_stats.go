package sqlstore

import (
	"context"

	"shuyu"
)

// ChecklistKindStats counts the filled checklists of one kind (R17.1): a
// result is one registration, application round, or reviewer of a product
// round; Passed and Failed are its conclusions as recorded.
type ChecklistKindStats struct {
	Kind    shuyu.ChecklistKind `json:"kind"`
	Version int                 `json:"version"` // the version in force, 0 when none is approved yet
	Passed  int                 `json:"passed"`
	Failed  int                 `json:"failed"`
}

// SecondReviewWait is a product whose output review has one approval in
// its current round and waits for a second, distinct reviewer (four eyes,
// R17.1).
type SecondReviewWait struct {
	ProductID     int64  `json:"product_id"`
	Name          string `json:"name"`
	OrgName       string `json:"org_name"`
	FirstReviewer string `json:"first_reviewer"`
	Since         int64  `json:"-"` // micros of the first approval
}

// ChecklistStats is the checklists' figure on the authority's dashboard.
type ChecklistStats struct {
	Kinds         []ChecklistKindStats `json:"kinds"`
	SecondReviews []SecondReviewWait   `json:"second_reviews"`
}

// ChecklistStatistics counts the filled checklists per kind and lists the
// output reviews waiting for their second reviewer, for the authority and
// the regulators (supervision.read). The counts are of checklist_results
// as recorded by the steps (recordChecklist); the waits are products under
// review with exactly one approval in their current round.
func (d *DB) ChecklistStatistics(ctx context.Context, actor *shuyu.Actor) (*ChecklistStats, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSupervisionRead, shuyu.Resource{Kind: "supervision"}); err != nil {
		return nil, err
	}
	out := &ChecklistStats{Kinds: []ChecklistKindStats{}, SecondReviews: []SecondReviewWait{}}
	err := d.view(ctx, func(tx *Tx) error {
		counts := map[shuyu.ChecklistKind]*ChecklistKindStats{}
		for _, k := range shuyu.ChecklistKinds {
			out.Kinds = append(out.Kinds, ChecklistKindStats{Kind: k})
		}
		for i := range out.Kinds {
			counts[out.Kinds[i].Kind] = &out.Kinds[i]
			rs, err := tx.activeChecklist(out.Kinds[i].Kind)
			if err != nil {
				return err
			}
			if rs != nil {
				out.Kinds[i].Version = rs.Version
			}
		}
		rows, err := tx.query(`SELECT kind, passed, count(*) FROM checklist_results GROUP BY kind, passed`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var kind shuyu.ChecklistKind
			var passed bool
			var n int
			if err := rows.Scan(&kind, &passed, &n); err != nil {
				rows.Close()
				return err
			}
			if c := counts[kind]; c != nil && passed {
				c.Passed += n
			} else if c != nil {
				c.Failed += n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.query(`SELECT p.id, p.name, o.name, min(r.reviewer_name), min(r.created_at) FROM products p
			JOIN orgs o ON o.id = p.org_id
			JOIN product_reviews r ON r.product_id = p.id AND r.round = p.round AND r.decision = 'approve'
			WHERE p.status = ? GROUP BY p.id, p.name, o.name HAVING count(*) = 1 ORDER BY min(r.created_at), p.id`, shuyu.ProductUnderReview)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var w SecondReviewWait
			if err := rows.Scan(&w.ProductID, &w.Name, &w.OrgName, &w.FirstReviewer, &w.Since); err != nil {
				return err
			}
			out.SecondReviews = append(out.SecondReviews, w)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
