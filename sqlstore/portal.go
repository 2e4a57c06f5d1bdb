package sqlstore

import (
	"context"
	"fmt"
	"time"

	"shuyu"
)

// The public portal (issue 13): notices and cases the authority or the
// operator publish (audited), the approved rule texts as public pages, and
// the headline figures computed from live data. Reads need no actor: the
// portal answers anonymous visitors, so these reads return only what is
// public anyway (published catalog facts, counts, released products,
// approved texts), never a merchant's application content.

const portalPostCols = `p.id, p.kind, p.title, p.body, p.org_id, o.name, p.published_at`

func scanPortalPost(r interface{ Scan(...any) error }) (*shuyu.PortalPost, error) {
	var p shuyu.PortalPost
	var at int64
	if err := r.Scan(&p.ID, &p.Kind, &p.Title, &p.Body, &p.OrgID, &p.OrgName, &at); err != nil {
		return nil, err
	}
	p.PublishedAt = fromMicros(at)
	return &p, nil
}

// PublishPortalPost publishes a notice or a case on the portal, in the name
// of the actor's organization (R32.1).
func (d *DB) PublishPortalPost(ctx context.Context, actor *shuyu.Actor, in shuyu.PortalPostInput) (*shuyu.PortalPost, error) {
	if err := shuyu.Authorize(actor, shuyu.ActPortalPublish, shuyu.Resource{Kind: "portal_post"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		id, err = tx.insert(`INSERT INTO portal_posts (kind, title, body, org_id, created_by, published_at) VALUES (?, ?, ?, ?, ?, ?)`,
			in.Kind, in.Title, in.Body, actor.OrgID, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditPortalPublish, ObjectType: "portal_post", ObjectID: id,
			Detail: map[string]any{"kind": in.Kind, "title": in.Title}})
	})
	if err != nil {
		return nil, err
	}
	return d.PortalPost(ctx, id)
}

// WithdrawPortalPost takes a post off the portal; it stays in the store
// (and its publication in the trail). Withdrawing twice is a conflict.
func (d *DB) WithdrawPortalPost(ctx context.Context, actor *shuyu.Actor, id int64, reason string) error {
	if err := shuyu.Authorize(actor, shuyu.ActPortalPublish, shuyu.Resource{Kind: "portal_post"}); err != nil {
		return err
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		var withdrawn *int64
		if err := tx.queryRow(`SELECT withdrawn_at FROM portal_posts WHERE id = ?`, id).Scan(&withdrawn); isNoRows(err) {
			return notFound("公告")
		} else if err != nil {
			return err
		}
		if withdrawn != nil {
			return shuyu.Errorf(shuyu.ECONFLICT, "该公告已撤下 (already withdrawn)")
		}
		if _, err := tx.exec(`UPDATE portal_posts SET withdrawn_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditPortalWithdraw, ObjectType: "portal_post", ObjectID: id, Reason: reason})
	})
}

// PortalPosts lists the published posts of kind ("" for all), newest first.
func (d *DB) PortalPosts(ctx context.Context, kind string, limit int) ([]*shuyu.PortalPost, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	out := []*shuyu.PortalPost{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+portalPostCols+` FROM portal_posts p JOIN orgs o ON o.id = p.org_id
			WHERE p.withdrawn_at IS NULL AND (? = '' OR p.kind = ?) ORDER BY p.published_at DESC, p.id DESC LIMIT ?`, kind, kind, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPortalPost(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// PortalPost returns one published post; a withdrawn one is not found.
func (d *DB) PortalPost(ctx context.Context, id int64) (*shuyu.PortalPost, error) {
	var p *shuyu.PortalPost
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		p, err = scanPortalPost(tx.queryRow(`SELECT `+portalPostCols+` FROM portal_posts p JOIN orgs o ON o.id = p.org_id
			WHERE p.id = ? AND p.withdrawn_at IS NULL`, id))
		if isNoRows(err) {
			return notFound("公告")
		}
		return err
	})
	return p, err
}

// PublicDocuments lists the approved rule texts (onboarding rules,
// agreement templates), newest version first: what merchants agree to is
// public before they register (R18.1, R19.1).
func (d *DB) PublicDocuments(ctx context.Context) ([]*shuyu.Document, error) {
	out := []*shuyu.Document{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+docCols+` FROM review_documents WHERE status IN (?, ?) ORDER BY kind, version DESC`,
			shuyu.DocApproved, "retired")
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

// PublicDocument returns an approved (or retired, once approved) text;
// drafts are not public and are not found.
func (d *DB) PublicDocument(ctx context.Context, id int64) (*shuyu.Document, error) {
	var doc *shuyu.Document
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		doc, err = tx.document(id)
		if err == nil && doc.ApprovedAt == nil {
			doc, err = nil, notFound("文本")
		}
		return err
	})
	return doc, err
}

// PortalCount is one bar of a portal chart.
type PortalCount struct {
	Key   string `json:"key"`   // a stable value (org id, grade, month)
	Label string `json:"label"` // what the chart shows (Chinese names; grades and months are labelled by the page)
	Count int    `json:"count"`
	Extra int    `json:"extra,omitempty"` // a second series where the chart has one (mounted entries, released products)
}

// PortalStats are the portal's headline figures and charts, all computed
// from the live store at the time of the call.
type PortalStats struct {
	Entries      int           `json:"entries"`       // published catalog entries
	Mounted      int           `json:"mounted"`       // of which mounted to data (R10.2)
	Departments  int           `json:"departments"`   // source departments with a published entry
	Merchants    int           `json:"merchants"`     // data merchants on the platform
	Applications int           `json:"applications"`  // applications submitted
	Agreements   int           `json:"agreements"`    // agreements in force
	Products     int           `json:"products"`      // products released
	ByDept       []PortalCount `json:"by_department"` // entries (Extra: mounted) per department
	ByCategory   []PortalCount `json:"by_category"`
	ByGrade      []PortalCount `json:"by_grade"`
	Months       []PortalCount `json:"months"` // applications (Count) and released products (Extra) per month, last 12
}

// MountedShare is the mounted entries as a whole percentage of published ones.
func (p *PortalStats) MountedShare() int {
	if p.Entries == 0 {
		return 0
	}
	return p.Mounted * 100 / p.Entries
}

// portalStatsFresh computes the figures. Months are calendar months in
// Beijing time, the twelve ending with the clock's current month.
func (d *DB) portalStatsFresh(ctx context.Context) (*PortalStats, error) {
	st := &PortalStats{}
	err := d.view(ctx, func(tx *Tx) error {
		counts := []struct {
			dst  *int
			q    string
			args []any
		}{
			{&st.Entries, `SELECT count(*) FROM catalog_entries WHERE published_rev_id IS NOT NULL`, nil},
			{&st.Mounted, `SELECT count(*) FROM catalog_entries WHERE published_rev_id IS NOT NULL AND mounted = ?`, []any{true}},
			{&st.Departments, `SELECT count(DISTINCT org_id) FROM catalog_entries WHERE published_rev_id IS NOT NULL`, nil},
			{&st.Merchants, `SELECT count(*) FROM orgs WHERE kind = ? AND status = 'active'`, []any{shuyu.OrgMerchant}},
			{&st.Applications, `SELECT count(*) FROM applications`, nil},
			{&st.Agreements, `SELECT count(*) FROM agreements WHERE status = ?`, []any{shuyu.AgrEffective}},
			{&st.Products, `SELECT count(*) FROM products WHERE status = ?`, []any{shuyu.ProductReleased}},
		}
		for _, c := range counts {
			if err := tx.queryRow(c.q, c.args...).Scan(c.dst); err != nil {
				return fmt.Errorf("portal stats: %w", err)
			}
		}
		var err error
		if st.ByDept, err = tx.portalCounts(`SELECT CAST(o.id AS TEXT), o.name, count(*), sum(CASE WHEN e.mounted = ? THEN 1 ELSE 0 END)
			FROM catalog_entries e JOIN orgs o ON o.id = e.org_id WHERE e.published_rev_id IS NOT NULL
			GROUP BY o.id, o.name ORDER BY count(*) DESC, o.name`, true); err != nil {
			return err
		}
		if st.ByCategory, err = tx.portalCounts(`SELECT CAST(coalesce(c.id, 0) AS TEXT), coalesce(c.name, ''), count(*), 0
			FROM catalog_entries e JOIN catalog_revisions r ON r.id = e.published_rev_id
			LEFT JOIN catalog_categories c ON c.id = r.category_id
			GROUP BY c.id, c.name ORDER BY count(*) DESC, c.name`); err != nil {
			return err
		}
		if st.ByGrade, err = tx.portalCounts(`SELECT r.grade, r.grade, count(*), sum(CASE WHEN e.mounted = ? THEN 1 ELSE 0 END)
			FROM catalog_entries e JOIN catalog_revisions r ON r.id = e.published_rev_id
			GROUP BY r.grade ORDER BY r.grade`, true); err != nil {
			return err
		}
		return tx.portalMonths(st)
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

func (tx *Tx) portalCounts(q string, args ...any) ([]PortalCount, error) {
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("portal stats: %w", err)
	}
	defer rows.Close()
	out := []PortalCount{}
	for rows.Next() {
		var c PortalCount
		if err := rows.Scan(&c.Key, &c.Label, &c.Count, &c.Extra); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// portalMonths buckets submissions and releases of the last twelve months.
// The timestamps are read and bucketed here, the same on both dialects.
func (tx *Tx) portalMonths(st *PortalStats) error {
	now := tx.now.In(reviewCST)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, reviewCST).AddDate(0, -11, 0)
	idx := map[string]int{}
	for i := 0; i < 12; i++ {
		m := first.AddDate(0, i, 0).Format("2006-01")
		idx[m] = i
		st.Months = append(st.Months, PortalCount{Key: m, Label: m})
	}
	bucket := func(q string, add func(i int)) error {
		rows, err := tx.query(q, micros(first))
		if err != nil {
			return fmt.Errorf("portal stats: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var at int64
			if err := rows.Scan(&at); err != nil {
				return err
			}
			if i, ok := idx[fromMicros(at).In(reviewCST).Format("2006-01")]; ok {
				add(i)
			}
		}
		return rows.Err()
	}
	if err := bucket(`SELECT created_at FROM applications WHERE created_at >= ?`, func(i int) { st.Months[i].Count++ }); err != nil {
		return err
	}
	return bucket(`SELECT released_at FROM products WHERE released_at IS NOT NULL AND released_at >= ?`,
		func(i int) { st.Months[i].Extra++ })
}

// PublicProductDetail is what the public marketplace shows of one released
// product: its filing, provider, purpose class and how to ask for it. It
// carries no recipient, table or fingerprint.
type PublicProductDetail struct {
	PublicProduct
	Description string     `json:"description"`
	Terms       string     `json:"terms"`
	FiledAt     *time.Time `json:"filed_at,omitempty"`
	Purpose     string     `json:"purpose,omitempty"` // public_governance, public_welfare, industry (from the agreement's application)
	Operator    string     `json:"operator"`          // the operator to contact
	Contact     string     `json:"contact,omitempty"` // the merchant's registered business e-mail
}

// PublicProduct returns one released product for the marketplace; anything
// not released is not found.
func (d *DB) PublicProduct(ctx context.Context, id int64) (*PublicProductDetail, error) {
	var p PublicProductDetail
	err := d.view(ctx, func(tx *Tx) error {
		var filed, released *int64
		var agreement *int64
		err := tx.queryRow(`SELECT p.id, p.name, o.name, p.scenario, p.type, coalesce(p.filing_no, ''), p.released_at, p.filed_at,
			p.description, p.terms, w.agreement_id FROM products p JOIN orgs o ON o.id = p.org_id JOIN workspaces w ON w.id = p.workspace_id
			WHERE p.id = ? AND p.status = ?`, id, shuyu.ProductReleased).Scan(&p.ID, &p.Name, &p.Merchant, &p.Scenario, &p.Type,
			&p.FilingNo, &released, &filed, &p.Description, &p.Terms, &agreement)
		if isNoRows(err) {
			return notFound("数据产品")
		} else if err != nil {
			return err
		}
		if released != nil {
			p.ReleasedAt = fromMicros(*released)
		}
		if filed != nil {
			t := fromMicros(*filed)
			p.FiledAt = &t
		}
		if agreement != nil {
			err := tx.queryRow(`SELECT r.purpose FROM agreements a JOIN application_rounds r ON r.application_id = a.application_id AND r.round = a.round
				WHERE a.id = ?`, *agreement).Scan(&p.Purpose)
			if err != nil && !isNoRows(err) {
				return err
			}
		}
		if err := tx.queryRow(`SELECT name FROM orgs WHERE kind = ? ORDER BY id LIMIT 1`, shuyu.OrgOperator).Scan(&p.Operator); err != nil && !isNoRows(err) {
			return err
		}
		var uscc string
		err = tx.queryRow(`SELECT contact_email, uscc FROM merchant_registrations WHERE company = ? AND status = ? ORDER BY id DESC LIMIT 1`,
			p.Merchant, shuyu.RegRegistered).Scan(&p.Contact, &uscc)
		if err != nil && !isNoRows(err) {
			return err
		}
		if err == nil {
			if p.Contact, err = d.openPersonal("contact_email", uscc, p.Contact); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// WorkspaceUsage counts one workspace's queries by data mode and outcome,
// for its merchant's dashboard.
type WorkspaceUsage struct {
	WorkspaceID int64  `json:"workspace_id"`
	Name        string `json:"name"`
	Simulated   int    `json:"simulated"`
	Released    int    `json:"released"` // real-data queries whose result was released
	Withheld    int    `json:"withheld"` // real-data queries withheld or rejected by disclosure control
}

// WorkspaceUsages lists the usage of the workspaces the actor may read
// (a merchant: its own; the operator: all), most used first.
func (d *DB) WorkspaceUsages(ctx context.Context, actor *shuyu.Actor) ([]WorkspaceUsage, error) {
	ws, err := d.Workspaces(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := []WorkspaceUsage{}
	err = d.view(ctx, func(tx *Tx) error {
		for _, w := range ws {
			u := WorkspaceUsage{WorkspaceID: w.ID, Name: w.Name}
			rows, err := tx.query(`SELECT data, status, count(*) FROM workspace_queries WHERE workspace_id = ? GROUP BY data, status`, w.ID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var data, status string
				var n int
				if err := rows.Scan(&data, &status, &n); err != nil {
					rows.Close()
					return err
				}
				switch {
				case data == shuyu.DataSimulated:
					u.Simulated += n
				case status == "released":
					u.Released += n
				default:
					u.Withheld += n
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	return out, err
}
