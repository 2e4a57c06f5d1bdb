package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"shuyu"
)

// catalogIndex rewrites the search text of a published entry: its name,
// summary, department, code and field labels (R8.5: the public searches
// names, summaries and information items).
func (tx *Tx) catalogIndex(entryID int64) error {
	var name, summary, org, code string
	var rev int64
	err := tx.queryRow(`SELECT r.id, r.name, r.summary, o.name, e.code FROM catalog_entries e
		JOIN catalog_revisions r ON r.id = e.published_rev_id JOIN orgs o ON o.id = e.org_id WHERE e.id = ?`, entryID).
		Scan(&rev, &name, &summary, &org, &code)
	if err != nil {
		return fmt.Errorf("sqlstore: catalog index: %w", err)
	}
	fields, err := tx.catalogFields(rev)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, s := range []string{name, summary, org, code} {
		b.WriteString(s)
		b.WriteString("\n")
	}
	for _, f := range fields {
		b.WriteString(f.Label)
		b.WriteString(" ")
	}
	del, ins := `DELETE FROM catalog_search WHERE entry_id = ?`, `INSERT INTO catalog_search (entry_id, body) VALUES (?, ?)`
	if tx.d.dialect == SQLite {
		del, ins = `DELETE FROM catalog_search WHERE rowid = ?`, `INSERT INTO catalog_search (rowid, body) VALUES (?, ?)`
	}
	if _, err := tx.exec(del, entryID); err != nil {
		return fmt.Errorf("sqlstore: catalog index: %w", err)
	}
	if _, err := tx.exec(ins, entryID, b.String()); err != nil {
		return fmt.Errorf("sqlstore: catalog index: %w", err)
	}
	return nil
}

// CatalogFilter selects published entries. Zero values select everything.
type CatalogFilter struct {
	Q          string
	OrgID      int64
	CategoryID int64 // includes the category's descendants
	Grade      shuyu.Grade
	UpdateFreq shuyu.UpdateFreq
	Region     string
	OpenAttr   shuyu.OpenAttr
	Limit      int // default 20, at most 200
	Offset     int
}

// FacetCount is one value of a facet with the number of entries that would
// match if it were chosen (the other facets' choices applied).
type FacetCount struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// CatalogPage is one page of search results.
type CatalogPage struct {
	Items  []*shuyu.CatalogEntry    `json:"items"`
	Total  int                      `json:"total"`
	Facets map[string][]*FacetCount `json:"facets"`
}

// Validate checks the filter's values (bad input is EINVALID, never a 500).
func (f *CatalogFilter) Validate() error {
	var fe []shuyu.FieldError
	f.Q = strings.TrimSpace(f.Q)
	if utf8.RuneCountInString(f.Q) > 100 {
		fe = append(fe, shuyu.FieldError{Field: "q", Message: "检索词不得超过 100 个字符"})
	}
	if f.Grade != "" && !f.Grade.Valid() {
		fe = append(fe, shuyu.FieldError{Field: "grade", Message: "分级无效"})
	}
	if f.UpdateFreq != "" && !f.UpdateFreq.Valid() {
		fe = append(fe, shuyu.FieldError{Field: "update_freq", Message: "更新频率无效"})
	}
	if f.OpenAttr != "" && !f.OpenAttr.Valid() {
		fe = append(fe, shuyu.FieldError{Field: "open_attr", Message: "开放属性无效"})
	}
	if f.Limit < 0 || f.Offset < 0 || f.Offset > 1_000_000 {
		fe = append(fe, shuyu.FieldError{Field: "limit", Message: "分页参数无效"})
	}
	if len(fe) > 0 {
		return shuyu.Errorf(shuyu.EINVALID, "检索条件有误 (invalid search)").WithDetails(fe)
	}
	if f.Limit == 0 {
		f.Limit = 20
	}
	if f.Limit > 200 {
		f.Limit = 200
	}
	return nil
}

// likeEscape escapes LIKE wildcards; the queries say ESCAPE '\'.
func likeEscape(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// catalogMatch builds the condition on the search table s selecting
// entries whose text contains every word of q in one of its forms (the word
// itself or what the synonyms make of it, expandTerm). Forms of 3+
// characters use the trigram index (one FTS5 MATCH on SQLite; ILIKE served
// by the GIN pg_trgm index on PostgreSQL); a word with a shorter form
// ("人口", "社保") falls back to LIKE over the same text.
func (d *DB) catalogMatch(q string, syn []shuyu.CatalogSynonym) (string, []any) {
	var conds, phrases []string
	var args []any
	for _, word := range strings.Fields(q) {
		forms := expandTerm(word, syn)
		short := false
		for _, f := range forms {
			short = short || utf8.RuneCountInString(f) < 3
		}
		var alt []string
		switch {
		case d.dialect == Postgres:
			for _, f := range forms {
				alt = append(alt, `s.body ILIKE ? ESCAPE '\'`)
				args = append(args, likeEscape(f))
			}
			conds = append(conds, "("+strings.Join(alt, " OR ")+")")
		case !short:
			for _, f := range forms {
				alt = append(alt, `"`+strings.ReplaceAll(f, `"`, `""`)+`"`)
			}
			phrases = append(phrases, "("+strings.Join(alt, " OR ")+")")
		default:
			for _, f := range forms {
				alt = append(alt, `s.body LIKE ? ESCAPE '\'`)
				args = append(args, likeEscape(f))
			}
			conds = append(conds, "("+strings.Join(alt, " OR ")+")")
		}
	}
	if len(phrases) > 0 {
		conds = append([]string{`catalog_search MATCH ?`}, conds...)
		args = append([]any{strings.Join(phrases, " AND ")}, args...)
	}
	return strings.Join(conds, " AND "), args
}

type catalogHit struct {
	id, org, cat        int64
	orgName, name, code string
	grade, freq, region string
	open                string
	nameHit             bool
}

// catalogCache holds what the public catalog shows, valid for one catalog
// generation: the facet columns of every published entry and the answered
// pages (list, facets and search results) by filter. The generation is a
// counter that every change of what the public catalog shows bumps in its
// own transaction (Tx.catalogChanged); a read takes the counter first, so
// between changes reads cost one counter lookup and no recomputation, and
// the first read after a change sees it. A city catalog is at most tens of
// thousands of entries, a few MB; the pages are bounded by catalogPageCap.
type catalogCache struct {
	mu    sync.Mutex
	gen   int64
	hits  []catalogHit
	pages map[CatalogFilter]*CatalogPage
}

// catalogPageCap bounds the cached pages of one generation; past it the
// pages are dropped and filled again (arbitrary queries cannot grow memory).
const catalogPageCap = 2048

// drop forgets the cached entries (DB.Close).
func (c *catalogCache) drop() {
	c.mu.Lock()
	c.gen, c.hits, c.pages = -1, nil, nil
	c.mu.Unlock()
}

// page returns the cached page of f in generation gen, if any.
func (c *catalogCache) page(gen int64, f CatalogFilter) *CatalogPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return nil
	}
	return c.pages[f]
}

// keep caches the page of f computed in generation gen (when it is still
// the cache's generation: a page of an older one is not kept).
func (c *catalogCache) keep(gen int64, f CatalogFilter, p *CatalogPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.pages == nil || len(c.pages) >= catalogPageCap {
		c.pages = map[CatalogFilter]*CatalogPage{}
	}
	c.pages[f] = p
}

// catalogChanged bumps the catalog generation: every change of what the
// public catalog shows (a publication, mounting, a category, a synonym)
// calls it in its transaction, so cached pages end with the commit.
func (tx *Tx) catalogChanged() error {
	_, err := tx.exec(`UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1`)
	return err
}

func (tx *Tx) catalogGeneration() (int64, error) {
	var gen int64
	err := tx.queryRow(`SELECT gen FROM catalog_generation WHERE id = 1`).Scan(&gen)
	return gen, err
}

// CatalogGeneration is the catalog's generation: it moves with every change
// of what the public catalog shows, so an answer computed for one
// generation holds until it moves (web caches the public answers by it).
// It is one statement outside a transaction: the counter is one row, and
// an answer cached under a generation was computed after it was read.
func (d *DB) CatalogGeneration(ctx context.Context) (int64, error) {
	var gen int64
	if err := d.db.QueryRowContext(ctx, `SELECT gen FROM catalog_generation WHERE id = 1`).Scan(&gen); err != nil {
		return 0, fmt.Errorf("sqlstore: catalog generation: %w", err)
	}
	return gen, nil
}

func (tx *Tx) catalogHits(gen int64) ([]catalogHit, error) {
	c := tx.d.catalog
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		return c.hits, nil
	}
	rows, err := tx.query(`SELECT e.id, e.org_id, o.name, COALESCE(r.category_id, 0), r.name, e.code, r.grade, r.update_freq,
		e.region, r.open_attr FROM catalog_entries e JOIN catalog_revisions r ON r.id = e.published_rev_id
		JOIN orgs o ON o.id = e.org_id ORDER BY e.code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []catalogHit
	for rows.Next() {
		var h catalogHit
		if err := rows.Scan(&h.id, &h.org, &h.orgName, &h.cat, &h.name, &h.code, &h.grade, &h.freq, &h.region, &h.open); err != nil {
			return nil, err
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.gen, c.hits, c.pages = gen, hits, nil
	return hits, nil
}

// PublishedEntries searches the published catalog (public: actor may be
// nil) and counts facets: department, category, grade, update frequency,
// region and open attribute (R8.5). The page is shared with other readers
// of the same generation (catalogCache): callers must not change it.
func (d *DB) PublishedEntries(ctx context.Context, actor *shuyu.Actor, f CatalogFilter) (*CatalogPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	page := &CatalogPage{Items: []*shuyu.CatalogEntry{}}
	err := d.view(ctx, func(tx *Tx) error {
		gen, err := tx.catalogGeneration()
		if err != nil {
			return err
		}
		if p := d.catalog.page(gen, f); p != nil {
			page = p
			return nil
		}
		all, err := tx.catalogHits(gen)
		if err != nil {
			return err
		}
		var hits []catalogHit
		var syn []shuyu.CatalogSynonym
		if f.Q != "" {
			if syn, err = tx.catalogSynonyms(); err != nil {
				return err
			}
		}
		if cond, args := d.catalogMatch(f.Q, syn); cond != "" {
			key := "s.entry_id"
			if d.dialect == SQLite {
				key = "s.rowid"
			}
			rows, err := tx.query(`SELECT `+key+` FROM catalog_search s WHERE `+cond, args...)
			if err != nil {
				return err
			}
			match := map[int64]bool{}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				match[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			names := expandTerm(strings.ToLower(f.Q), syn)
			for _, h := range all {
				if match[h.id] {
					for _, n := range names {
						h.nameHit = h.nameHit || strings.Contains(strings.ToLower(h.name), n)
					}
					hits = append(hits, h)
				}
			}
		} else {
			hits = all // read-only from here on
		}
		cats, err := tx.catalogCategories()
		if err != nil {
			return err
		}
		matched := catalogFacets(page, hits, f, cats)
		// Entries whose name contains the query come first, then by code
		// (the cache is in code order; the sort is stable).
		sort.SliceStable(matched, func(i, j int) bool { return matched[i].nameHit && !matched[j].nameHit })
		page.Total = len(matched)
		end := min(f.Offset+f.Limit, len(matched))
		ids := []int64{}
		for i := f.Offset; i < end; i++ {
			ids = append(ids, matched[i].id)
		}
		if page.Items, err = tx.publishedEntries(ids); err != nil {
			return err
		}
		d.catalog.keep(gen, f, page)
		return nil
	})
	if err != nil {
		return nil, shuyu.Wrap("sqlstore: published entries", err)
	}
	return page, nil
}

// catalogFacets fills page.Facets and returns the hits that pass every
// filter. A facet's counts apply every filter but its own, so choosing one
// department still shows how many entries the other departments have.
func catalogFacets(page *CatalogPage, hits []catalogHit, f CatalogFilter, cats []shuyu.CatalogCategory) []catalogHit {
	catName := map[int64]string{}
	parent := map[int64]int64{}
	for _, c := range cats {
		catName[c.ID], parent[c.ID] = c.Name, c.ParentID
	}
	inCat := func(id int64) bool {
		for ; id != 0; id = parent[id] {
			if id == f.CategoryID {
				return true
			}
		}
		return false
	}
	type facet struct {
		name  string
		value func(h *catalogHit) string
		label func(h *catalogHit) string
		pass  func(h *catalogHit) bool
	}
	facets := []facet{
		{"org", func(h *catalogHit) string { return strconv.FormatInt(h.org, 10) }, func(h *catalogHit) string { return h.orgName },
			func(h *catalogHit) bool { return f.OrgID == 0 || h.org == f.OrgID }},
		{"category", func(h *catalogHit) string { return strconv.FormatInt(h.cat, 10) }, func(h *catalogHit) string { return catName[h.cat] },
			func(h *catalogHit) bool { return f.CategoryID == 0 || inCat(h.cat) }},
		{"grade", func(h *catalogHit) string { return h.grade }, nil,
			func(h *catalogHit) bool { return f.Grade == "" || h.grade == string(f.Grade) }},
		{"update_freq", func(h *catalogHit) string { return h.freq }, nil,
			func(h *catalogHit) bool { return f.UpdateFreq == "" || h.freq == string(f.UpdateFreq) }},
		{"region", func(h *catalogHit) string { return h.region }, nil,
			func(h *catalogHit) bool { return f.Region == "" || h.region == f.Region }},
		{"open_attr", func(h *catalogHit) string { return h.open }, nil,
			func(h *catalogHit) bool { return f.OpenAttr == "" || h.open == string(f.OpenAttr) }},
	}
	page.Facets = map[string][]*FacetCount{}
	counts := make([]map[string]*FacetCount, len(facets))
	for i := range counts {
		counts[i] = map[string]*FacetCount{}
	}
	var matched []catalogHit
	for k := range hits {
		h := &hits[k]
		failed, failedAt := 0, -1
		for i, fc := range facets {
			if !fc.pass(h) {
				failed++
				failedAt = i
			}
		}
		if failed == 0 {
			matched = append(matched, *h)
		}
		for i, fc := range facets {
			if failed == 0 || (failed == 1 && failedAt == i) {
				v := fc.value(h)
				c := counts[i][v]
				if c == nil {
					c = &FacetCount{Value: v, Label: v}
					if fc.label != nil {
						c.Label = fc.label(h)
					} else {
						c.Label = shuyu.CatalogLabel(fc.name, v)
					}
					counts[i][v] = c
				}
				c.Count++
			}
		}
	}
	for i, fc := range facets {
		list := make([]*FacetCount, 0, len(counts[i]))
		for _, c := range counts[i] {
			list = append(list, c)
		}
		sort.Slice(list, func(a, b int) bool {
			if list[a].Count != list[b].Count {
				return list[a].Count > list[b].Count
			}
			return list[a].Value < list[b].Value
		})
		page.Facets[fc.name] = list
	}
	return matched
}
