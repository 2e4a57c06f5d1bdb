package sqlstore

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"

	"shuyu"
)

// The catalog's search synonyms and abbreviations (R8.5: the public finds
// entries by the words people use): a query word that contains a term
// (社保) also searches for the word with the term replaced by its expansion
// (社保缴费 → 社会保险缴费). The list is data: seeded by migration 0011 and
// kept by the city data authority (shuyu.ActSynonymManage), each change
// audited and bumping the catalog generation, so cached answers end with it.

// CatalogSynonyms lists the synonyms by term (public: they only widen
// searches of the public catalog).
func (d *DB) CatalogSynonyms(ctx context.Context) ([]shuyu.CatalogSynonym, error) {
	var out []shuyu.CatalogSynonym
	err := d.view(ctx, func(tx *Tx) (err error) {
		out, err = tx.catalogSynonyms()
		return err
	})
	if err != nil {
		return nil, shuyu.Wrap("sqlstore: catalog synonyms", err)
	}
	return out, nil
}

func (tx *Tx) catalogSynonyms() ([]shuyu.CatalogSynonym, error) {
	rows, err := tx.query(`SELECT id, term, expansion, created_by, created_at FROM catalog_synonyms ORDER BY term, expansion`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []shuyu.CatalogSynonym{}
	for rows.Next() {
		var s shuyu.CatalogSynonym
		var at int64
		if err := rows.Scan(&s.ID, &s.Term, &s.Expansion, &s.CreatedBy, &at); err != nil {
			return nil, err
		}
		s.CreatedAt = fromMicros(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// AddCatalogSynonym adds a synonym (the authority only).
func (d *DB) AddCatalogSynonym(ctx context.Context, actor *shuyu.Actor, s shuyu.CatalogSynonym) (shuyu.CatalogSynonym, error) {
	s.Term, s.Expansion = strings.TrimSpace(s.Term), strings.TrimSpace(s.Expansion)
	var fe []shuyu.FieldError
	for _, f := range []struct{ name, v, label string }{{"term", s.Term, "检索词"}, {"expansion", s.Expansion, "同义词"}} {
		switch n := utf8.RuneCountInString(f.v); {
		case n == 0:
			fe = append(fe, shuyu.FieldError{Field: f.name, Message: "请填写" + f.label})
		case n > 30 || strings.ContainsAny(f.v, " \t\r\n\""):
			fe = append(fe, shuyu.FieldError{Field: f.name, Message: f.label + "须为不超过 30 个字、不含空格和引号的词语"})
		}
	}
	if len(fe) == 0 && s.Term == s.Expansion {
		fe = append(fe, shuyu.FieldError{Field: "expansion", Message: "同义词不能与检索词相同"})
	}
	if len(fe) > 0 {
		return s, shuyu.Errorf(shuyu.EINVALID, "同义词有误 (invalid synonym)").WithDetails(fe)
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		if err := shuyu.Authorize(actor, shuyu.ActSynonymManage, shuyu.Resource{Kind: "catalog_synonym"}); err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES (?, ?, ?, ?)`,
			s.Term, s.Expansion, actor.UserID, micros(tx.now))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "“%s → %s”已在同义词表中 (duplicate synonym)", s.Term, s.Expansion)
		}
		if err != nil {
			return err
		}
		s.ID, s.CreatedBy, s.CreatedAt = id, actor.UserID, tx.now
		if err := tx.catalogChanged(); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditSynonymAdd, ObjectType: "catalog_synonym", ObjectID: id,
			Detail: map[string]any{"term": s.Term, "expansion": s.Expansion}})
	})
	if err != nil {
		return s, shuyu.Wrap("sqlstore: add catalog synonym", err)
	}
	return s, nil
}

// RemoveCatalogSynonym removes a synonym (the authority only).
func (d *DB) RemoveCatalogSynonym(ctx context.Context, actor *shuyu.Actor, id int64) error {
	err := d.update(ctx, actor, func(tx *Tx) error {
		if err := shuyu.Authorize(actor, shuyu.ActSynonymManage, shuyu.Resource{Kind: "catalog_synonym"}); err != nil {
			return err
		}
		var term, exp string
		err := tx.queryRow(`SELECT term, expansion FROM catalog_synonyms WHERE id = ?`, id).Scan(&term, &exp)
		if isNoRows(err) {
			return notFound("同义词")
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM catalog_synonyms WHERE id = ?`, id); err != nil {
			return err
		}
		if err := tx.catalogChanged(); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditSynonymRemove, ObjectType: "catalog_synonym", ObjectID: id,
			Detail: map[string]any{"term": term, "expansion": exp}})
	})
	return shuyu.Wrap("sqlstore: remove catalog synonym", err)
}

// maxAlternatives bounds the forms one query word is searched in.
const maxAlternatives = 8

// expandTerm returns word and the forms the synonyms give it: each term
// found in word (longest terms first, so 身份证号 wins over 身份证) is
// replaced by each of its expansions, one term at a time and then all
// together. The word itself always comes first.
func expandTerm(word string, syn []shuyu.CatalogSynonym) []string {
	out := []string{word}
	seen := map[string]bool{word: true}
	addForm := func(s string) {
		if !seen[s] && len(out) < maxAlternatives {
			seen[s] = true
			out = append(out, s)
		}
	}
	byTerm := map[string][]string{}
	var terms []string
	for _, s := range syn {
		if strings.Contains(word, s.Term) {
			if byTerm[s.Term] == nil {
				terms = append(terms, s.Term)
			}
			byTerm[s.Term] = append(byTerm[s.Term], s.Expansion)
		}
	}
	sort.SliceStable(terms, func(i, j int) bool { return utf8.RuneCountInString(terms[i]) > utf8.RuneCountInString(terms[j]) })
	// A shorter term inside a longer one found (身份证 in 身份证号) adds
	// nothing the longer one does not say better.
	var used []string
	for _, t := range terms {
		inside := false
		for _, u := range used {
			if strings.Contains(u, t) {
				inside = true
			}
		}
		if !inside {
			used = append(used, t)
		}
	}
	all := []string{word}
	for _, t := range used {
		var next []string
		for _, exp := range byTerm[t] {
			addForm(strings.ReplaceAll(word, t, exp))
			for _, a := range all {
				next = append(next, strings.ReplaceAll(a, t, exp))
			}
		}
		all = append(all, next...)
	}
	for _, a := range all {
		addForm(a)
	}
	return out
}
