package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/workday"
)

// The annual disclosure (R32.1, NDIS.1, NIMP.5): one row per year in
// disclosures (migration 0014). GenerateDisclosure computes the content from
// the live records inside its transaction and stores it as a draft with its
// SM3 digest; PublishDisclosure publishes the draft whose digest the
// authority reviewed, and a published year is frozen (never regenerated,
// never withdrawn). The sweep reminds the authority and the operator from
// January until the previous year is published (sweepDisclosure).

// yearBounds is the year in Beijing time: [from, to) as instants and the
// first and last day.
func yearBounds(year int) (from, to time.Time, first, last string) {
	from = time.Date(year, 1, 1, 0, 0, 0, 0, workday.Zone)
	to = from.AddDate(1, 0, 0)
	return from, to, from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)
}

// disclosureContent computes the year's disclosure from the records.
func (tx *Tx) disclosureContent(year int) (*shuyu.DisclosureContent, error) {
	from, to, first, last := yearBounds(year)
	f, t := micros(from), micros(to)
	c := &shuyu.DisclosureContent{Year: year, From: first, To: last, AsOf: tx.now,
		Authorizations: []shuyu.DisclosureAuthorization{}, Prices: []shuyu.DisclosurePrice{},
		Resources: []shuyu.DisclosureResource{}, Products: []shuyu.DisclosureProduct{}, Applications: []shuyu.DisclosureCount{}}

	// The authorizations in force at some day of the year (NIMP.5).
	all, err := tx.authorizations(`WHERE a.status IN (?, ?) AND a.term_start <= ? ORDER BY a.term_start, a.id`,
		shuyu.AuthzEffective, shuyu.AuthzEnded, last)
	if err != nil {
		return nil, err
	}
	var inYear []*shuyu.Authorization
	for _, a := range all {
		if a.LastDay() < first {
			continue
		}
		inYear = append(inYear, a)
		lines, err := tx.scopeLines(a.Mode, a.Scope)
		if err != nil {
			return nil, err
		}
		c.Authorizations = append(c.Authorizations, shuyu.DisclosureAuthorization{Number: a.Number, Title: a.Title,
			Object: a.Items.Object, Content: a.Items.Content, Mode: a.Mode, Scope: lines, TermStart: a.TermStart,
			TermEnd: a.TermEnd, LastDay: a.LastDay(), FilingNumber: a.FilingNumber})
	}
	// The parties: the implementing body of the newest authorization (else
	// the city authority) and the operator.
	var bodyID, opID int64
	if n := len(inYear); n > 0 {
		bodyID, opID = inYear[n-1].AuthorityOrgID, inYear[n-1].OperatorOrgID
	}
	if bodyID == 0 {
		if bodyID, err = tx.queryOrgOfKind(shuyu.OrgAuthority); err != nil {
			return nil, err
		}
	}
	if opID == 0 {
		if opID, err = tx.queryOrgOfKind(shuyu.OrgOperator); err != nil {
			return nil, err
		}
	}
	if c.Body, err = tx.disclosureOrg(bodyID); err != nil {
		return nil, err
	}
	if c.Operator, err = tx.disclosureOrg(opID); err != nil {
		return nil, err
	}

	// The maximum allowed revenue (NPRC.2) and the caps and prices in
	// force at the year's end (NPRC.3, NPRC.5).
	var al shuyu.DisclosureAllowed
	err = tx.queryRow(`SELECT max_revenue_fen, approval_ref, version FROM money_allowed WHERE year = ? ORDER BY version DESC LIMIT 1`,
		year).Scan(&al.MaxRevenueFen, &al.ApprovalRef, &al.Version)
	switch {
	case err == nil:
		c.Allowed = &al
	case !isNoRows(err):
		return nil, err
	}
	byProduct := map[int64][]shuyu.DisclosurePrice{}
	rows, err := tx.query(`SELECT i.service, i.product_id, coalesce(p.name, ''), i.name, i.class, i.unit, i.purpose,
		v.cap_fen, v.price_fen, v.price_set, v.trial_until
		FROM money_items i JOIN money_prices v ON v.item_id = i.id AND v.from_at < ? AND (v.to_at IS NULL OR v.to_at >= ?)
		LEFT JOIN products p ON p.id = i.product_id
		WHERE i.product_id = 0 OR (p.released_at IS NOT NULL AND p.released_at < ?)
		ORDER BY i.class, i.service, i.name, i.id`, t, t, t)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p shuyu.DisclosurePrice
		var product int64
		var purpose string
		var set int
		if err := rows.Scan(&p.Service, &product, &p.ProductName, &p.Name, &p.Class, &p.Unit, &purpose, &p.CapFen, &p.PriceFen,
			&set, &p.TrialUntil); err != nil {
			rows.Close()
			return nil, err
		}
		p.PriceSet, p.Free = set == 1, shuyu.FreePurpose(purpose)
		c.Prices = append(c.Prices, p)
		if product != 0 {
			byProduct[product] = append(byProduct[product], p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// The products released by the year's end, with their deliveries in
	// the year and their prices (NDIS.1: actual prices).
	rows, err = tx.query(`SELECT p.id, p.name, p.type, p.scenario, o.name, coalesce(p.filing_no, ''), p.released_at,
		(SELECT count(*) FROM product_deliveries d WHERE d.product_id = p.id AND d.created_at >= ? AND d.created_at < ?)
		FROM products p JOIN orgs o ON o.id = p.org_id WHERE p.released_at IS NOT NULL AND p.released_at < ? ORDER BY p.released_at, p.id`, f, t, t)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p shuyu.DisclosureProduct
		var id, rel int64
		if err := rows.Scan(&id, &p.Name, &p.Type, &p.Scenario, &p.Merchant, &p.FilingNo, &rel, &p.Deliveries); err != nil {
			rows.Close()
			return nil, err
		}
		p.ReleasedOn = beijingDay(fromMicros(rel))
		p.Prices = byProduct[id]
		if p.Prices == nil {
			p.Prices = []shuyu.DisclosurePrice{}
		}
		c.Products = append(c.Products, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// The authorized resources: published entries an authorization of the
	// year covers — those that existed by the year's end or were granted
	// to a workspace open during it — with their use in the year.
	type entry struct {
		id                     int64
		code, name, department string
	}
	var entries []entry
	rows, err = tx.query(`SELECT e.id, e.code, r.name, o.name FROM catalog_entries e JOIN catalog_revisions r ON r.id = e.published_rev_id
		JOIN orgs o ON o.id = e.org_id
		WHERE e.created_at < ? OR EXISTS (SELECT 1 FROM workspace_grants g JOIN workspaces w ON w.id = g.workspace_id
			WHERE g.entry_id = e.id AND w.starts_at < ? AND w.ends_at > ?)
		ORDER BY e.code`, t, t, f)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.code, &e.name, &e.department); err != nil {
			rows.Close()
			return nil, err
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, e := range entries {
		domains, err := tx.entryDomains(e.id)
		if err != nil {
			return nil, err
		}
		covered := ""
		for _, a := range inYear {
			// The term was checked above; the cover is asked of scope only.
			if _, err := tx.authorizationCover(a, []int64{e.id}, map[int64][]string{e.id: domains}, "", a.TermStart); err == nil {
				covered = a.Number + " " + shuyu.AuthModeLabels[a.Mode]
				break
			}
		}
		if covered == "" {
			continue
		}
		r := shuyu.DisclosureResource{Code: e.code, Name: e.name, Department: e.department, Covered: covered}
		if err := tx.queryRow(`SELECT count(*) FROM workspace_grants g JOIN workspaces w ON w.id = g.workspace_id
			WHERE g.entry_id = ? AND w.starts_at < ? AND w.ends_at > ?`, e.id, t, f).Scan(&r.Workspaces); err != nil {
			return nil, err
		}
		if err := tx.queryRow(`SELECT count(*) FROM workspace_queries q JOIN workspace_grants g ON g.workspace_id = q.workspace_id
			WHERE g.entry_id = ? AND q.data = 'real' AND q.created_at >= ? AND q.created_at < ?`, e.id, f, t).Scan(&r.Queries); err != nil {
			return nil, err
		}
		if err := tx.queryRow(`SELECT count(DISTINCT s.product_id) FROM product_sources s JOIN products p ON p.id = s.product_id
			WHERE s.entry_id = ? AND p.released_at IS NOT NULL AND p.released_at < ?`, e.id, t).Scan(&r.Products); err != nil {
			return nil, err
		}
		c.Resources = append(c.Resources, r)
	}

	// Usage, applications and complaints of the year (NIMP.5).
	if c.Usage, c.Applications, c.Complaints, err = tx.periodFigures(f, t); err != nil {
		return nil, err
	}

	// The closed year's revenue against its maximum (NPRC.5).
	var rv shuyu.DisclosureRevenue
	err = tx.queryRow(`SELECT revenue_fen, max_revenue_fen, excess_fen FROM money_years WHERE year = ?`, year).
		Scan(&rv.RevenueFen, &rv.MaxRevenueFen, &rv.ExcessFen)
	switch {
	case err == nil:
		c.Revenue = &rv
	case !isNoRows(err):
		return nil, err
	}
	return c, nil
}

func (tx *Tx) disclosureOrg(id int64) (shuyu.DisclosureOrg, error) {
	var o shuyu.DisclosureOrg
	if id == 0 {
		return o, nil
	}
	err := tx.queryRow(`SELECT name, code, region FROM orgs WHERE id = ?`, id).Scan(&o.Name, &o.Code, &o.Region)
	return o, err
}

// checkDisclosureYear: a year that has ended, not before 2000.
func checkDisclosureYear(now time.Time, year int) error {
	if year < 2000 || year >= now.In(workday.Zone).Year() {
		return shuyu.Errorf(shuyu.EINVALID, "只能为已结束的年度生成年度披露（%d） (only an ended year can be disclosed)", year).
			WithDetails([]shuyu.FieldError{{Field: "year", Message: "须为已结束的年度"}})
	}
	return nil
}

// GenerateDisclosure computes the year's disclosure from the live records
// and stores it as a draft (again over an earlier draft); a published year
// is refused (R32.1, NDIS.1).
func (d *DB) GenerateDisclosure(ctx context.Context, actor *shuyu.Actor, year int) (*shuyu.AnnualDisclosure, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDisclosureDraft, shuyu.Resource{Kind: "disclosure"}); err != nil {
		return nil, err
	}
	var out *shuyu.AnnualDisclosure
	err := d.update(ctx, actor, func(tx *Tx) error {
		if err := checkDisclosureYear(tx.now, year); err != nil {
			return err
		}
		var status string
		err := tx.queryRow(`SELECT status FROM disclosures WHERE year = ?`, year).Scan(&status)
		exists := err == nil
		if err != nil && !isNoRows(err) {
			return err
		}
		if exists {
			if _, err := shuyu.DisclosureMachine.Next(status, "regenerate"); err != nil {
				return err
			}
		}
		c, err := tx.disclosureContent(year)
		if err != nil {
			return err
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		sum := sm3.Sum(b)
		digest := hex.EncodeToString(sum[:])
		if exists {
			_, err = tx.exec(`UPDATE disclosures SET content_json = ?, digest = ?, generated_at = ?, generated_by = ? WHERE year = ? AND status = ?`,
				string(b), digest, micros(tx.now), actor.UserID, year, shuyu.DisclosureDraft)
		} else {
			_, err = tx.exec(`INSERT INTO disclosures (year, status, content_json, digest, generated_at, generated_by) VALUES (?, ?, ?, ?, ?, ?)`,
				year, shuyu.DisclosureDraft, string(b), digest, micros(tx.now), actor.UserID)
		}
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditDisclosureGenerate, ObjectType: "disclosure", ObjectID: year,
			Detail: map[string]any{"digest_sm3": digest, "regenerated": exists, "products": len(c.Products),
				"resources": len(c.Resources), "rule": "NDIS.1"}}); err != nil {
			return err
		}
		out, err = tx.disclosure(year, true)
		return err
	})
	return out, err
}

// PublishDisclosure publishes the draft the authority reviewed: digest
// must be the draft's (a draft regenerated since the review is refused,
// ECONFLICT). The content is frozen from then on.
func (d *DB) PublishDisclosure(ctx context.Context, actor *shuyu.Actor, year int, digest string) (*shuyu.AnnualDisclosure, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDisclosurePublish, shuyu.Resource{Kind: "disclosure"}); err != nil {
		return nil, err
	}
	var out *shuyu.AnnualDisclosure
	err := d.update(ctx, actor, func(tx *Tx) error {
		cur, err := tx.disclosure(year, true)
		if err != nil {
			return err
		}
		if _, err := shuyu.DisclosureMachine.Next(cur.Status, "publish"); err != nil {
			return err
		}
		if digest != cur.DigestSM3 {
			return shuyu.Errorf(shuyu.ECONFLICT, "披露内容已重新生成，请审阅最新内容后再发布 (the draft changed since it was reviewed)").
				WithDetails([]shuyu.FieldError{{Field: "digest_sm3", Message: "须为所审阅草稿的摘要"}})
		}
		res, err := tx.exec(`UPDATE disclosures SET status = ?, published_at = ?, published_by = ? WHERE year = ? AND status = ? AND digest = ?`,
			shuyu.DisclosurePublished, micros(tx.now), actor.UserID, year, shuyu.DisclosureDraft, digest)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return shuyu.Errorf(shuyu.ECONFLICT, "披露状态已变化 (the disclosure changed)")
		}
		due := shuyu.DisclosureDue(year)
		if err := tx.audit(Change{Action: shuyu.AuditDisclosurePublish, ObjectType: "disclosure", ObjectID: year,
			Detail: map[string]any{"digest_sm3": digest, "due": due, "late": beijingDay(tx.now) > due, "rule": "NDIS.1"}}); err != nil {
			return err
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(ops, Notice{Kind: "disclosure.published", Title: fmt.Sprintf("%d 年度授权运营信息披露已发布", year),
			ObjectType: "disclosure", ObjectID: strconv.Itoa(year), Link: fmt.Sprintf("/disclosures/%d", year)}); err != nil {
			return err
		}
		out, err = tx.disclosure(year, true)
		return err
	})
	return out, err
}

// disclosure reads one year. A draft is found only when drafts is true;
// the caller has checked that the actor may read drafts.
func (tx *Tx) disclosure(year int, drafts bool) (*shuyu.AnnualDisclosure, error) {
	var a shuyu.AnnualDisclosure
	var content string
	var gen int64
	var genBy int64
	var pubAt, pubBy sql.NullInt64
	err := tx.queryRow(`SELECT year, status, content_json, digest, generated_at, generated_by, published_at, published_by
		FROM disclosures WHERE year = ?`, year).Scan(&a.Year, &a.Status, &content, &a.DigestSM3, &gen, &genBy, &pubAt, &pubBy)
	if isNoRows(err) || (err == nil && !drafts && a.Status != shuyu.DisclosurePublished) {
		return nil, notFound("年度信息披露")
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(content), &a.Content); err != nil {
		return nil, fmt.Errorf("sqlstore: disclosure %d: %w", year, err)
	}
	a.Due, a.GeneratedAt, a.PublishedAt = shuyu.DisclosureDue(year), fromMicros(gen), fromNullMicros(pubAt)
	if a.Status == shuyu.DisclosurePublished {
		// The content against its digest, and the digest against the one
		// the publication's audit event recorded (chained and signed).
		sum := sm3.Sum([]byte(content))
		var detail string
		err := tx.queryRow(`SELECT detail FROM audit_events WHERE action = ? AND object_type = 'disclosure' AND object_id = ?
			ORDER BY seq DESC LIMIT 1`, string(shuyu.AuditDisclosurePublish), strconv.Itoa(year)).Scan(&detail)
		if err != nil && !isNoRows(err) {
			return nil, err
		}
		var ev struct {
			Digest string `json:"digest_sm3"`
		}
		_ = json.Unmarshal([]byte(detail), &ev)
		a.Intact = hex.EncodeToString(sum[:]) == a.DigestSM3 && ev.Digest == a.DigestSM3
	}
	if drafts {
		a.GeneratedBy = tx.displayName(genBy)
		if pubBy.Valid {
			a.PublishedBy = tx.displayName(pubBy.Int64)
		}
	}
	return &a, nil
}

func (tx *Tx) displayName(userID int64) string {
	var n string
	if err := tx.queryRow(`SELECT display_name FROM users WHERE id = ?`, userID).Scan(&n); err != nil {
		return ""
	}
	return n
}

// mayReadDisclosureDrafts: the authority, the operator and the regulators
// read drafts; anyone else (and the anonymous public) only published years.
func mayReadDisclosureDrafts(actor *shuyu.Actor) bool {
	return actor != nil && shuyu.Authorize(actor, shuyu.ActDisclosureRead, shuyu.Resource{Kind: "disclosure"}) == nil
}

// Disclosure returns one year: published to anyone (actor may be nil), a
// draft only to those who may read drafts (404 for others: a draft does
// not exist for the public).
func (d *DB) Disclosure(ctx context.Context, actor *shuyu.Actor, year int) (*shuyu.AnnualDisclosure, error) {
	var out *shuyu.AnnualDisclosure
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.disclosure(year, mayReadDisclosureDrafts(actor))
		return err
	})
	return out, err
}

// Disclosures lists the years, newest first: published ones for everyone,
// drafts too for those who may read them.
func (d *DB) Disclosures(ctx context.Context, actor *shuyu.Actor) ([]shuyu.DisclosureSummary, error) {
	drafts := mayReadDisclosureDrafts(actor)
	out := []shuyu.DisclosureSummary{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT year, status, digest, generated_at, published_at FROM disclosures ORDER BY year DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s shuyu.DisclosureSummary
			var gen int64
			var pub sql.NullInt64
			if err := rows.Scan(&s.Year, &s.Status, &s.DigestSM3, &gen, &pub); err != nil {
				return err
			}
			if !drafts && s.Status != shuyu.DisclosurePublished {
				continue
			}
			s.Due, s.GeneratedAt, s.PublishedAt = shuyu.DisclosureDue(s.Year), fromMicros(gen), fromNullMicros(pub)
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}

// DisclosurePreview computes the year's content from the live records
// without storing anything: what a regeneration would produce now.
func (d *DB) DisclosurePreview(ctx context.Context, actor *shuyu.Actor, year int) (*shuyu.DisclosureContent, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDisclosureRead, shuyu.Resource{Kind: "disclosure"}); err != nil {
		return nil, err
	}
	var c *shuyu.DisclosureContent
	err := d.view(ctx, func(tx *Tx) error {
		if err := checkDisclosureYear(tx.now, year); err != nil {
			return err
		}
		var err error
		c, err = tx.disclosureContent(year)
		return err
	})
	return c, err
}

// periodFigures are the use of the resources, the applications first
// submitted and the complaints raised in [f, t) (micros): the part the
// annual disclosure and the operations reports share.
func (tx *Tx) periodFigures(f, t int64) (u shuyu.DisclosureUsage, apps []shuyu.DisclosureCount, k shuyu.DisclosureComplaints, err error) {
	apps = []shuyu.DisclosureCount{}
	if err := tx.queryRow(`SELECT count(*) FROM workspaces WHERE starts_at < ? AND ends_at > ?`, t, f).Scan(&u.Workspaces); err != nil {
		return u, apps, k, err
	}
	if err := tx.queryRow(`SELECT count(*), coalesce(sum(CASE WHEN status = 'released' THEN 1 ELSE 0 END), 0) FROM workspace_queries
		WHERE data = 'real' AND created_at >= ? AND created_at < ?`, f, t).Scan(&u.Queries, &u.Released); err != nil {
		return u, apps, k, err
	}
	if err := tx.queryRow(`SELECT count(*), coalesce(sum(rows_count), 0) FROM product_deliveries WHERE created_at >= ? AND created_at < ?`,
		f, t).Scan(&u.Deliveries, &u.DeliveredRows); err != nil {
		return u, apps, k, err
	}
	if err := tx.queryRow(`SELECT count(*) FROM api_calls WHERE outcome = 'answered' AND at >= ? AND at < ?`, f, t).Scan(&u.APICalls); err != nil {
		return u, apps, k, err
	}

	// Applications first submitted in the period, by their status now.
	rows, err := tx.query(`SELECT a.status, count(*) FROM applications a JOIN application_rounds r ON r.application_id = a.id AND r.round = 1
		WHERE r.submitted_at >= ? AND r.submitted_at < ? GROUP BY a.status ORDER BY a.status`, f, t)
	if err != nil {
		return u, apps, k, err
	}
	for rows.Next() {
		var n shuyu.DisclosureCount
		if err := rows.Scan(&n.Key, &n.Count); err != nil {
			rows.Close()
			return u, apps, k, err
		}
		apps = append(apps, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return u, apps, k, err
	}

	// Complaints raised in the period.
	if err := tx.queryRow(`SELECT count(*), coalesce(sum(CASE WHEN status IN ('fixed', 'closed') THEN 1 ELSE 0 END), 0) FROM domain_issues
		WHERE origin = 'merchant' AND created_at >= ? AND created_at < ?`, f, t).Scan(&k.Quality, &k.QualityResolved); err != nil {
		return u, apps, k, err
	}
	if err := tx.queryRow(`SELECT count(*), coalesce(sum(CASE WHEN status = 'upheld' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), 0) FROM money_disputes WHERE created_at >= ? AND created_at < ?`,
		f, t).Scan(&k.Disputes, &k.DisputesUpheld, &k.DisputesRejected); err != nil {
		return u, apps, k, err
	}
	if err := tx.queryRow(`SELECT count(*) FROM registry_objections WHERE created_at >= ? AND created_at < ?`, f, t).Scan(&k.Objections); err != nil {
		return u, apps, k, err
	}
	return u, apps, k, nil
}
